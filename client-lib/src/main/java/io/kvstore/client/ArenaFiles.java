package io.kvstore.client;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's shared-memory arena files as one client connection sees them: read-only for {@link ShmReader},
 * read-write for {@link ShmWriter}, each name resolved once per connection to the mapping the client shares among
 * its connections ({@link ArenaMappings}). A file name the server sends is taken only inside the directory of its
 * HELLO answer. Mappings stay until garbage collection unmaps them (the JDK offers no explicit unmap). Thread-safe.
 */
final class ArenaFiles {

    private final Path directory;
    private final boolean writable;
    private final ArenaMappings mappings;
    private final Map<String, MappedByteBuffer> maps = new ConcurrentHashMap<>();

    ArenaFiles(Path directory, boolean writable, ArenaMappings mappings) {
        this.directory = directory;
        this.writable = writable;
        this.mappings = mappings;
    }

    /**
     * A view of {@code length} bytes at {@code offset} of {@code file}, or null if the name leaves the directory,
     * the file cannot be mapped, or the range is not inside it. Writable if this mapping is.
     */
    ByteBuffer slice(String file, long offset, int length) {
        if (file.contains("/") || file.startsWith(".")) {
            return null;
        }
        MappedByteBuffer m = maps.computeIfAbsent(file, this::map);
        if (m == null || offset < 0 || offset + length > m.capacity()) {
            return null;
        }
        return m.slice((int) offset, length);
    }

    private MappedByteBuffer map(String file) {
        return mappings.map(directory.resolve(file), writable);
    }
}
