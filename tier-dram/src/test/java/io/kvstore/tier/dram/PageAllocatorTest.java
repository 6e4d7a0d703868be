package io.kvstore.tier.dram;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PageAllocatorTest {

    @Test
    void bestFitMergesNeighboursAndNeverCrossesASegment() {
        PageAllocator a = new PageAllocator(20, 8); // segments of 8, 8, 4 pages
        assertThat(a.largestFreeRun()).isEqualTo(8);
        assertThat(a.allocate(9)).isEqualTo(-1);
        int z = a.allocate(4); // best fit: the 4-page tail segment
        assertThat(z).isEqualTo(16);
        int x = a.allocate(3);
        int y = a.allocate(3);
        assertThat(x).isZero();
        assertThat(y).isEqualTo(3);
        assertThat(a.freePages()).isEqualTo(10);
        a.free(x, 3);
        a.free(y, 3);
        assertThat(a.largestFreeRun()).isEqualTo(8);
        a.free(z, 4);
        assertThat(a.freeRuns()).isEqualTo(3);
        assertThat(a.freePages()).isEqualTo(20);
    }

    @Test
    void doubleFreeAndOverlappingFreeAreCaught() {
        PageAllocator a = new PageAllocator(16, 16);
        int x = a.allocate(4);
        a.free(x, 4);
        assertThatThrownBy(() -> a.free(x, 4)).isInstanceOf(IllegalStateException.class);
        int y = a.allocate(2);
        assertThatThrownBy(() -> a.free(y, 3)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void claimTakesExactlyTheGivenRun() {
        PageAllocator a = new PageAllocator(16, 8);
        assertThat(a.claim(3, 2)).isTrue();
        assertThat(a.claim(4, 1)).isFalse();
        assertThat(a.claim(7, 2)).as("crosses a segment").isFalse();
        assertThat(a.freePages()).isEqualTo(14);
        a.free(3, 2);
        assertThat(a.freeRuns()).isEqualTo(2);
    }

    /**
     * Fragmentation under churn at 94-97% fill: with one block size every free run is a whole number of blocks,
     * so a put never fails while enough pages are free; with mixed sizes some do, and the share does not grow
     * with time (second half of the run vs the first). Prints the figures for docs/tiers.md.
     */
    @Test
    void fragmentationStaysBoundedUnderChurn() {
        Churn uniform = churn(new int[]{32}, 4096, 200_000);
        assertThat(uniform.refusedWithRoom[0] + uniform.refusedWithRoom[1]).isZero();
        Churn mixed = churn(new int[]{4, 32, 512}, 4096, 200_000);
        System.out.printf("fragmentation uniform(32 pages): %s%nfragmentation mixed(4/32/512 pages): %s%n",
                uniform, mixed);
        assertThat(mixed.refusedShare(1)).isLessThanOrEqualTo(mixed.refusedShare(0) * 1.5 + 0.02);
    }

    record Churn(long[] attempts, long[] refusedWithRoom, double meanFreeAtRefusal) {
        double refusedShare(int half) {
            return attempts[half] == 0 ? 0 : (double) refusedWithRoom[half] / attempts[half];
        }

        @Override
        public String toString() {
            return String.format("refused-with-room first half %.4f, second half %.4f, mean free pages at refusal %.1f",
                    refusedShare(0), refusedShare(1), meanFreeAtRefusal);
        }
    }

    /** Random puts of the given run lengths; when over 97% full, frees random runs down to 94%. */
    static Churn churn(int[] sizes, int pagesPerSegment, int ops) {
        int total = 8 * pagesPerSegment;
        PageAllocator a = new PageAllocator(total, pagesPerSegment);
        SplittableRandom rnd = new SplittableRandom(42);
        List<int[]> live = new ArrayList<>();
        long[] attempts = new long[2];
        long[] refused = new long[2];
        long freeAtRefusal = 0;
        for (int i = 0; i < ops; i++) {
            int half = i < ops / 2 ? 0 : 1;
            int n = sizes[rnd.nextInt(sizes.length)];
            if (total - a.freePages() > 0.97 * total) {
                while (total - a.freePages() > 0.94 * total) {
                    int[] r = live.remove(rnd.nextInt(live.size()));
                    a.free(r[0], r[1]);
                }
            }
            attempts[half]++;
            int s = a.allocate(n);
            if (s < 0) {
                if (a.freePages() >= n) {
                    refused[half]++;
                    freeAtRefusal += a.freePages();
                }
                continue;
            }
            live.add(new int[]{s, n});
        }
        Deque<int[]> d = new ArrayDeque<>(live);
        d.forEach(r -> a.free(r[0], r[1]));
        assertThat(a.freePages()).isEqualTo(total);
        long r = refused[0] + refused[1];
        return new Churn(attempts, refused, r == 0 ? 0 : (double) freeAtRefusal / r);
    }
}
