package io.kvstore.tier.dram;

import java.nio.file.Path;

/**
 * A persistent DRAM tier's directory is open in another process (or already in this one): two daemons must never
 * share one arena. The message names the directory and the holder.
 */
public final class DramTierInUseException extends IllegalStateException {

    private final Path directory;

    DramTierInUseException(Path directory, String holder) {
        super("the DRAM arena in " + directory + " is in use by " + holder
                + " (another kvstore daemon on the same data dir or dramPersistDir?)");
        this.directory = directory;
    }

    /** The directory that is in use. */
    public Path directory() {
        return directory;
    }
}
