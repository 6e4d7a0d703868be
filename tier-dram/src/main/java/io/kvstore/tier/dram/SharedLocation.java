package io.kvstore.tier.dram;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Where a block read from a DRAM tier lies in the arena's files, for a same-host reader that maps them
 * (docs/protocol.md, shared memory).
 *
 * @param file   the segment file ({@code segment-NNN.arena} in the persist directory)
 * @param offset byte offset of the payload in that file
 */
public record SharedLocation(Path file, long offset) {

    /**
     * The location of {@code payload} (a read handle's payload) in the segment files of {@code arena} in {@code
     * dir}, or null if the arena is not file-backed ({@code dir} null) or the buffer is not a view of it. It stays
     * valid while the handle is open: the run is not reused before its last handle closes.
     */
    static SharedLocation of(Path dir, PageArena arena, ByteBuffer payload) {
        if (dir == null) {
            return null;
        }
        long loc = arena.locate(payload);
        return loc < 0 ? null : new SharedLocation(PageArena.segmentFile(dir, (int) (loc >>> 40)), loc & ((1L << 40) - 1));
    }
}
