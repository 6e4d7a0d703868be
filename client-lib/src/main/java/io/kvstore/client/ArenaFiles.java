package io.kvstore.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's shared-memory arena files, as one client connection maps them: each file once (cached), read-only
 * for {@link ShmReader}, read-write for {@link ShmWriter}. A file name the server sends is taken only inside the
 * directory of its HELLO answer. Mappings stay until garbage collection unmaps them (the JDK offers no explicit
 * unmap). Thread-safe.
 */
final class ArenaFiles {

    private final Path directory;
    private final boolean writable;
    private final Map<String, MappedByteBuffer> maps = new ConcurrentHashMap<>();

    ArenaFiles(Path directory, boolean writable) {
        this.directory = directory;
        this.writable = writable;
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
        try (FileChannel ch = writable
                ? FileChannel.open(directory.resolve(file), StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(directory.resolve(file), StandardOpenOption.READ)) {
            return ch.map(writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, 0, ch.size());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }
}
