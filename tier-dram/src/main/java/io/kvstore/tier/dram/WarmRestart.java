package io.kvstore.tier.dram;

import io.kvstore.core.block.Checksums;
import io.kvstore.tier.dram.IndexRecordDescriptor.IndexRecord;
import net.openhft.chronicle.map.ChronicleMap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleConsumer;

/**
 * The pass over a reopened index that takes its blocks back: each record's run of pages is claimed in the arena
 * again; a record that is malformed, out of range, overlaps another, or (with {@link
 * DramTierConfig.RestartVerification#AT_OPEN}) fails its checksum is removed and counted as corrupt. Runs once,
 * in the opening thread, before the tier is used.
 */
final class WarmRestart {

    /** What the pass found: the blocks kept, their footprint, the highest allocation id, and what it dropped. */
    record Found(long blocks, long footprintBytes, long maxId, long corrupt, long verified) {
    }

    private WarmRestart() {
    }

    static Found reload(ChronicleMap<byte[], byte[]> index, PageArena arena, DramTierConfig config,
                        DoubleConsumer progress) {
        List<Map.Entry<byte[], byte[]>> found = new ArrayList<>();
        index.forEach((k, v) -> found.add(Map.entry(k.clone(), v.clone()))); // Chronicle reuses the arrays
        boolean verifyNow = config.restartVerification() == DramTierConfig.RestartVerification.AT_OPEN;
        long maxId = 0;
        long blocks = 0;
        long footprint = 0;
        long corrupt = 0;
        long verified = 0;
        int step = Math.max(1, found.size() / 100);
        int done = 0;
        for (Map.Entry<byte[], byte[]> e : found) {
            if (done++ % step == 0) {
                progress.accept((double) (done - 1) / found.size());
            }
            IndexRecord r = IndexRecordDescriptor.decodeOrNull(e.getKey(), e.getValue());
            if (r == null || r.meta().length() > config.segmentBytes()
                    || !arena.claim(r.firstPage(), arena.pagesFor(r.meta().length()), r.id())) {
                index.remove(e.getKey());
                corrupt++;
                continue;
            }
            if (verifyNow) {
                if (!Checksums.matches(r.meta(), arena.view(r.firstPage(), r.meta().length()))) {
                    index.remove(e.getKey());
                    arena.retire(r.firstPage());
                    corrupt++;
                    continue;
                }
                arena.markVerified(r.firstPage());
                verified++;
            }
            maxId = Math.max(maxId, r.id());
            footprint += (long) arena.pagesFor(r.meta().length()) * arena.pageSize();
            blocks++;
        }
        progress.accept(1.0);
        return new Found(blocks, footprint, maxId, corrupt, verified);
    }
}
