package io.kvstore.client;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's arena files as one client maps them, shared by all its connections: a client with many namespaces
 * (one connection each: tenants, LoRA adapters, cache salts) maps each file once, read-only and read-write, instead
 * of once per connection. A mapping of its own per connection cost every new connection a page fault for each 4 KiB
 * of arena it touched (a 1 GiB shared-memory PUT through a new namespace's connection ran at 2.2-2.4 GB/s, at 6.1
 * with the mappings shared: docs/java-client.md, "Same-host shared memory") and page tables for every mapping.
 *
 * <p>A mapping belongs to one file, not to its name: an arena file replaced under the same name (a daemon that
 * recreated its arena) has another file key (device and inode), gets a mapping of its own, and the old file's
 * mapping is dropped from here (the JDK unmaps it once nothing holds it). Each connection resolves a name once
 * ({@link ArenaFiles}), so a connection opened after the replacement never writes into the old file.
 * Thread-safe.
 */
final class ArenaMappings {

    /** One file's mapping in one mode. {@code fileKey} is the file's identity ({@link BasicFileAttributes#fileKey}). */
    private record Key(Path file, Object fileKey, boolean writable) {
    }

    private final Map<Key, MappedByteBuffer> maps = new ConcurrentHashMap<>();

    /**
     * The mapping of the whole file at {@code file} in the given mode, mapped now if no connection of this client
     * mapped this file (this very file, not only its name) before; null if it cannot be opened or mapped.
     */
    MappedByteBuffer map(Path file, boolean writable) {
        try (FileChannel ch = writable
                ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(file, StandardOpenOption.READ)) {
            Object fileKey = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
            if (fileKey == null) { // no file identity on this file system: a mapping per caller, as before
                return mapWhole(ch, writable);
            }
            Key key = new Key(file, fileKey, writable);
            MappedByteBuffer m = maps.get(key);
            if (m == null || m.capacity() < ch.size()) { // not mapped yet, or the file grew since
                m = mapWhole(ch, writable);
                MappedByteBuffer fresh = m;
                m = maps.merge(key, fresh, (had, now) -> had.capacity() >= now.capacity() ? had : now);
                // an earlier file of the same name was replaced: its mapping is not handed out again
                maps.keySet().removeIf(k -> k.file.equals(file) && k.writable == writable
                        && !Objects.equals(k.fileKey, fileKey));
            }
            return m;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    /** Number of mappings held, for tests. */
    int size() {
        return maps.size();
    }

    private static MappedByteBuffer mapWhole(FileChannel ch, boolean writable) throws IOException {
        return ch.map(writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, 0, ch.size());
    }
}
