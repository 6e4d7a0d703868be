package io.kvstore.core.tier;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * What a tier whose payloads live in files offers readers in other processes on the same host
 * ({@link Tier#sharedMemory()}): the directory of those files, and where a payload read from the tier lies in them,
 * so that a local client maps the file and reads the bytes without a copy through a socket (docs/protocol.md,
 * shared memory). Granting, leasing and proving locality are the server's business, not the tier's.
 *
 * <p>Thread-safety: all methods may be called concurrently.
 */
public interface SharedMemoryExport {

    /**
     * Where a payload lies.
     *
     * @param file   a file in {@link #directory()}
     * @param offset the payload's byte offset in that file
     */
    record Location(Path file, long offset) {
    }

    /** The directory that holds the files, as the tier was configured with it. */
    Path directory();

    /**
     * The location of {@code payload} (a handle's payload from the tier's {@link Tier#read}), or null if the buffer
     * is not a view of the tier's files. The location stays valid while the handle is open: the tier does not reuse
     * the bytes before its last handle closes.
     */
    Location locate(ByteBuffer payload);
}
