package io.kvstore.tier.nvme;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import com.sun.nio.file.ExtendedOpenOption;

/** Whether a directory's filesystem takes O_DIRECT (tmpfs, for one, does not). */
final class DirectIo {

    private DirectIo() {
    }

    /** True if files in {@code dir} can be opened with O_DIRECT (not on tmpfs, for instance). */
    static boolean supported(Path dir) {
        Path probe = dir.resolve(".direct-io-probe");
        try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            ByteBuffer b = ByteBuffer.allocateDirect(2 * 4096).alignedSlice(4096);
            b.limit(4096);
            ch.write(b, 0);
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }
}
