package io.kvstore.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The arena files a client maps are shared by its connections (one mapping per file and mode, however many
 * namespaces), and a file replaced under the same name is never written through the old file's mapping.
 */
@Timeout(30)
class ArenaMappingsTest {

    @TempDir
    Path dir;

    private Path file(String name, int bytes) throws IOException {
        return Files.write(dir.resolve(name), new byte[bytes]);
    }

    @Test
    void connectionsOfOneClientShareOneMappingPerFileAndMode() throws IOException {
        file("arena-0", 1 << 16);
        file("arena-1", 1 << 16);
        ArenaMappings shared = new ArenaMappings();
        ArenaFiles first = new ArenaFiles(dir, true, shared);
        ArenaFiles second = new ArenaFiles(dir, true, shared);
        ByteBuffer a = first.slice("arena-0", 4096, 100);
        a.put(0, (byte) 42);
        ByteBuffer b = second.slice("arena-0", 4096, 100);
        assertEquals(42, b.get(0), "the second connection sees the bytes the first wrote: the same mapping");
        second.slice("arena-1", 0, 10);
        new ArenaFiles(dir, false, shared).slice("arena-0", 0, 10);
        assertEquals(3, shared.size(), "arena-0 read-write, arena-1 read-write, arena-0 read-only: no mapping twice");
    }

    @Test
    void aFileReplacedUnderItsNameGetsAMappingOfItsOwn() throws IOException {
        file("arena-0", 1 << 16);
        ArenaMappings shared = new ArenaMappings();
        ArenaFiles before = new ArenaFiles(dir, true, shared);
        before.slice("arena-0", 0, 10).put(0, (byte) 1);
        Files.delete(dir.resolve("arena-0")); // a daemon that recreated its arena: same name, another file
        file("arena-0", 1 << 16);
        ArenaFiles after = new ArenaFiles(dir, true, shared); // a connection opened after the replacement
        after.slice("arena-0", 0, 10).put(0, (byte) 7);
        assertEquals(7, Files.readAllBytes(dir.resolve("arena-0"))[0], "written into the new file, not the old one");
        assertEquals(1, shared.size(), "the replaced file's mapping is no longer handed out");
    }

    @Test
    void aFileThatGrewIsMappedWhole() throws IOException {
        file("arena-0", 1 << 12);
        ArenaMappings shared = new ArenaMappings();
        assertNull(new ArenaFiles(dir, true, shared).slice("arena-0", 1 << 13, 10), "beyond the file: no view");
        Files.write(dir.resolve("arena-0"), new byte[1 << 14], java.nio.file.StandardOpenOption.APPEND);
        assertNotNull(new ArenaFiles(dir, true, shared).slice("arena-0", 1 << 13, 10),
                "a later connection maps the grown file to its end");
        assertEquals(1, shared.size());
    }

    @Test
    void aNameOutsideTheDirectoryOrAMissingFileIsRefused() throws IOException {
        file("arena-0", 1 << 12);
        ArenaFiles files = new ArenaFiles(dir, false, new ArenaMappings());
        assertNull(files.slice("../arena-0", 0, 10));
        assertNull(files.slice(".hidden", 0, 10));
        assertNull(files.slice("no-such-file", 0, 10));
        assertNull(files.slice("arena-0", (1 << 12) - 5, 10), "a range past the end");
    }
}
