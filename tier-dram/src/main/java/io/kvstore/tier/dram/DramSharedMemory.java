package io.kvstore.tier.dram;

import io.kvstore.core.tier.SharedMemoryExport;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/** The {@link SharedMemoryExport} of a file-backed {@link DramTier}: its persist directory and arena segment files. */
final class DramSharedMemory implements SharedMemoryExport {

    private final DramTier tier;

    DramSharedMemory(DramTier tier) {
        this.tier = tier;
    }

    @Override
    public Path directory() {
        return tier.config().persistDirectory();
    }

    @Override
    public Location locate(ByteBuffer payload) {
        var loc = tier.sharedLocation(payload);
        return loc == null ? null : new Location(loc.file(), loc.offset());
    }
}
