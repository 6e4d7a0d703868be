package io.kvstore.bench.hybrid;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetentionTest {
    static final ModelShape JAMBA = ModelShape.JAMBA_15_MINI;
    static final int BT = 512;
    static final long UNIT = JAMBA.blockBytes(BT) + JAMBA.snapshotBytes();

    /** Looks the request up, records it, and returns the hit. */
    static int serve(Retention r, int... chain) {
        int h = r.lookup(chain, chain.length);
        r.record(chain, chain.length, h);
        return h;
    }

    @Test
    void snapshotsOnlyAtTheEndOfInputAndAtBranchPoints() {
        Retention r = new ReusePointRetention(JAMBA, BT, 100, Long.MAX_VALUE, 0.5, 0, 1, 0);
        assertThat(serve(r, 0, 1, 2, 3)).isZero();
        assertThat(r.snapshotsWritten()).isEqualTo(1); // at block 3 only
        // shares blocks 0-1, but there is no snapshot at block 1 yet: a hybrid cannot resume there
        assertThat(serve(r, 0, 1, 4, 5)).isZero();
        assertThat(r.snapshotsWritten()).isEqualTo(3); // its end, and the branch point at block 1
        assertThat(serve(r, 0, 1, 6)).isEqualTo(2);
        assertThat(serve(r, 0, 1, 2, 3, 7)).isEqualTo(4); // the next turn resumes at the end of the first
        assertThat(r.heldBytes()).isEqualTo(8 * JAMBA.blockBytes(BT) + 5 * JAMBA.snapshotBytes());
    }

    @Test
    void spareSnapshotsUseRoomNothingElseWantsAndGoFirst() {
        long room = 8 * JAMBA.blockBytes(BT) + 3 * JAMBA.snapshotBytes();
        Retention r = new ReusePointRetention(JAMBA, BT, 100, room, 0.5, 0, 1, 2);
        assertThat(r.name()).isEqualTo("default-spare-2");
        serve(r, 0, 1, 2, 3, 4, 5);
        // the end of input, then spares at blocks 1 and 3 (every 2nd block) while they fit; block 5 is the end
        assertThat(r.snapshotsWritten()).isEqualTo(3);
        // the first request that branches off after block 1 resumes at the spare there (reuse points alone: 0);
        // its new block and end snapshot overfill the cache, and the spare at block 3 goes before anything else
        assertThat(serve(r, 0, 1, 9)).isEqualTo(2);
        assertThat(r.heldBytes()).isLessThanOrEqualTo(room);
        assertThat(r.lookup(new int[] {0, 1, 2, 3, 7}, 5)).isEqualTo(2);
        assertThat(r.lookup(new int[] {0, 1, 2, 3, 4, 5}, 6)).isEqualTo(6);
        assertThat(r.lookup(new int[] {0, 1, 9}, 3)).isEqualTo(3);
        Retention plain = new ReusePointRetention(JAMBA, BT, 100, room, 0.5, 0, 1, 0);
        serve(plain, 0, 1, 2, 3, 4, 5);
        assertThat(serve(plain, 0, 1, 9)).isZero();
        assertThat(HybridSweep.create("default", JAMBA, KvOptBoundTest.randomTrace(1), room).name())
                .isEqualTo("default");
    }

    @Test
    void aBlockPolicyOverReusePointUnits() {
        long b = JAMBA.blockBytes(KvOptBoundTest.BT); // the random trace's blocks
        long snap = JAMBA.snapshotBytes();
        Retention r = HybridSweep.create("policy-lru", JAMBA, KvOptBoundTest.randomTrace(1), Long.MAX_VALUE);
        assertThat(r.name()).isEqualTo("policy-lru");
        assertThat(serve(r, 0, 1, 2)).isZero();
        assertThat(r.heldBytes()).isEqualTo(3 * b + snap);
        // the next turn resumes at the end of the first; the old end gives its snapshot back (a linear extension)
        assertThat(serve(r, 0, 1, 2, 3, 4)).isEqualTo(3);
        assertThat(r.heldBytes()).isEqualTo(5 * b + snap);
        // a branch off block 1: a snapshot there from now on, and at the new end
        assertThat(serve(r, 0, 1, 7)).isZero();
        assertThat(serve(r, 0, 1, 8)).isEqualTo(2);
        assertThat(r.lookup(new int[] {0, 1, 2, 3, 4}, 5)).isEqualTo(5);
        assertThatThrownBy(() -> HybridSweep.create("policy-lru", ModelShape.LLAMA3_8B, KvOptBoundTest.randomTrace(1),
                1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyBlockLruResumesAnywhereButPaysASnapshotPerBlock() {
        Retention r = new LruEveryN(1, JAMBA, BT, 100, Long.MAX_VALUE);
        assertThat(serve(r, 0, 1, 2, 3)).isZero();
        assertThat(serve(r, 0, 1, 4, 5)).isEqualTo(2);
        assertThat(r.heldBytes()).isEqualTo(6 * UNIT);
        Retention every2 = new LruEveryN(2, JAMBA, BT, 100, Long.MAX_VALUE);
        serve(every2, 0, 1, 2, 3);
        assertThat(serve(every2, 0, 1, 2, 5)).isEqualTo(2); // the snapshot at block 2 (position 3) is not kept
        assertThat(every2.name()).isEqualTo("lru-every-2");
    }

    @Test
    void everyBlockLruEvictsTheTailOfARequestFirst() {
        Retention r = new LruEveryN(1, JAMBA, BT, 100, 3 * UNIT);
        serve(r, 0, 1, 2, 3, 4);
        assertThat(r.heldBytes()).isEqualTo(3 * UNIT);
        assertThat(r.lookup(new int[] {0, 1, 2, 3, 4}, 5)).isEqualTo(3);
    }

    @Test
    void transformerLruIsAPlainPrefixCache() {
        Retention r = new LruEveryN(1, ModelShape.LLAMA3_8B, BT, 100, Long.MAX_VALUE);
        serve(r, 0, 1, 2);
        assertThat(r.lookup(new int[] {0, 1, 9}, 3)).isEqualTo(2);
        assertThat(r.snapshotsWritten()).isZero();
        assertThatThrownBy(() -> new ReusePointRetention(ModelShape.LLAMA3_8B, BT, 10, 1, 0.5, 0, 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Random prefix trees under a small capacity: the cache never holds more than its capacity after a request, never
     * answers a hit it cannot serve (a snapshot without its blocks), and holds no block that no snapshot needs (the
     * last not for {@link PolicyRetention}, whose policy may refuse a block that had blocks below it).
     */
    @Test
    void noDeadWeightAndNoSnapshotWithoutItsBlocks() {
        int unique = 4000;
        long capacity = 12 * JAMBA.blockBytes(BT) + 3 * JAMBA.snapshotBytes();
        for (int[] ckptSpare : new int[][] {{0, 0}, {2, 0}, {0, 2}, {0, 1}, {-1, 0}}) {
            boolean policy = ckptSpare[0] < 0;
            Retention r = policy ? new PolicyRetention("adaptive-prefix", JAMBA, BT, unique, capacity)
                    : new ReusePointRetention(JAMBA, BT, unique, capacity, 0.5, ckptSpare[0], 0.01, ckptSpare[1]);
            SplittableRandom rnd = new SplittableRandom(7);
            int[][] prefixes = new int[30][];
            int next = 0;
            for (int q = 0; q < 400; q++) {
                int[] base = prefixes[rnd.nextInt(prefixes.length)];
                int keep = base == null ? 0 : rnd.nextInt(base.length + 1);
                int n = keep + 1 + rnd.nextInt(6);
                int[] chain = new int[n];
                for (int j = 0; j < n; j++) {
                    chain[j] = j < keep ? base[j] : next++;
                }
                prefixes[rnd.nextInt(prefixes.length)] = chain;
                int h = serve(r, chain);
                assertThat(h).isBetween(0, n);
                assertThat(r.heldBytes()).isLessThanOrEqualTo(capacity);
                if (r instanceof ReusePointRetention rp) {
                    assertThat(rp.deadWeightBytes()).isZero();
                }
            }
            assertThat(r.evictions()).isPositive();
        }
    }
}
