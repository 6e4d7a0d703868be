package io.kvstore.server.index;

import io.kvstore.server.events.KvEventCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/** What an endpoint holds after stores, moves, removals and clears; runs stop at the first block not held. */
@Timeout(10)
class PrefixIndexTest {

    static KvEventCodec.Decoded stored(String medium, long... hashes) {
        return new KvEventCodec.Decoded("BlockStored", hashes, null, new int[0], 16, medium);
    }

    static KvEventCodec.Decoded removed(String medium, long... hashes) {
        return new KvEventCodec.Decoded("BlockRemoved", hashes, null, new int[0], 0, medium);
    }

    @Test
    void matchesCountLeadingBlocksPerEndpointWeightedByTheirBestMedium() {
        PrefixIndex ix = new PrefixIndex(1000);
        ix.apply(0, stored("CPU_PINNED", 1, 2, 3));
        ix.apply(1, stored("GPU", 1));
        ix.apply(1, stored("DISK", 2, 3, 4));
        ix.apply(1, stored("CPU_PINNED", 2)); // promoted: in two media now
        PrefixIndex.Match[] m = ix.match(new long[] {1, 2, 3, 4, 5}, 2);
        assertThat(m[0].blocks()).isEqualTo(3);
        assertThat(m[0].score()).isEqualTo(3 * 0.8, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(m[1].blocks()).isEqualTo(4);
        assertThat(m[1].score()).isEqualTo(1.0 + 0.8 + 0.5 + 0.5, org.assertj.core.data.Offset.offset(1e-9));

        ix.apply(1, removed("DISK", 3)); // a hole: the run stops there
        assertThat(ix.match(new long[] {1, 2, 3, 4}, 2)[1].blocks()).isEqualTo(2);
        ix.apply(0, new KvEventCodec.Decoded("AllBlocksCleared", new long[0], null, new int[0], 0, null));
        assertThat(ix.match(new long[] {1}, 2)[0].blocks()).isZero();
        assertThat(ix.match(new long[] {1}, 2)[1].blocks()).isEqualTo(1);
        ix.clear(1);
        assertThat(ix.size()).isZero();
    }

    @Test
    void aFullIndexCountsWhatItCouldNotIndex() {
        PrefixIndex ix = new PrefixIndex(2);
        ix.apply(0, stored("GPU", 1, 2, 3));
        assertThat(ix.size()).isEqualTo(2);
        assertThat(ix.notIndexed()).isEqualTo(1);
        ix.apply(1, stored("GPU", 1)); // an existing block gains a holder: no new entry needed
        assertThat(ix.notIndexed()).isEqualTo(1);
    }
}
