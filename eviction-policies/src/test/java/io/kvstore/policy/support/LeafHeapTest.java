package io.kvstore.policy.support;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link LeafHeap} against a model: random admissions and detachments over a random forest, after each of which
 * every tracked entry's child count is the model's, exactly the tracked entries without children are in the
 * heap, and the heap's top is the least of them. The heap slot and the child count share one field
 * ({@link HeapEntry}), so a mix-up of the two shows here.
 */
@Timeout(30)
class LeafHeapTest {

    static final class E extends HeapEntry<Integer> {
        final int key;

        E(int key, double priority) {
            this.key = key;
            this.priority = priority;
        }

        @Override
        public Integer key() {
            return key;
        }
    }

    @Test
    void childCountsAndLeavesFollowAModel() {
        SplittableRandom rnd = new SplittableRandom(7);
        LeafHeap<Integer, E> heap = new LeafHeap<>(4);
        Map<Integer, E> tracked = new HashMap<>();
        Map<Integer, Integer> parentOf = new HashMap<>();
        Map<Integer, Integer> children = new HashMap<>();
        int next = 0;
        for (int step = 0; step < 20_000; step++) {
            if (tracked.isEmpty() || rnd.nextInt(100) < 55) {
                List<Integer> keys = new ArrayList<>(tracked.keySet());
                Integer parent = keys.isEmpty() || rnd.nextInt(5) == 0 ? null : keys.get(rnd.nextInt(keys.size()));
                E n = new E(next, rnd.nextDouble());
                heap.admitted(n, parent == null ? null : tracked.get(parent));
                tracked.put(next, n);
                parentOf.put(next, parent);
                children.put(next, 0);
                if (parent != null) {
                    children.merge(parent, 1, Integer::sum);
                }
                next++;
            } else {
                List<Integer> keys = new ArrayList<>(tracked.keySet());
                int victim = keys.get(rnd.nextInt(keys.size()));
                E n = tracked.remove(victim);
                Integer parent = parentOf.get(victim);
                E p = parent == null ? null : tracked.get(parent);
                heap.detached(n, p);
                if (p != null && children.get(parent) > 0) {
                    children.merge(parent, -1, Integer::sum);
                }
                // the detached entry's own children stay tracked, with a parent that is gone
                assertThat(n.inHeap()).isFalse();
            }
            E least = null;
            for (Map.Entry<Integer, E> t : tracked.entrySet()) {
                E n = t.getValue();
                int c = children.get(t.getKey());
                assertThat(n.children()).as("children of %d", t.getKey()).isEqualTo(c);
                assertThat(n.inHeap()).as("%d in the heap", t.getKey()).isEqualTo(c == 0);
                if (c == 0 && (least == null || n.priority < least.priority)) {
                    least = n;
                }
            }
            assertThat(heap.peek()).isSameAs(least);
        }
    }

    @Test
    void anEntryWithChildrenCannotEnterAHeap() {
        IndexedHeap<Integer, E> heap = new IndexedHeap<>(4);
        E parent = new E(1, 0.5);
        parent.children(2);
        assertThatThrownBy(() -> heap.add(parent)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("children");
        E leaf = new E(2, 0.5);
        heap.add(leaf);
        assertThatThrownBy(() -> leaf.children(1)).isInstanceOf(IllegalStateException.class);
        assertThat(leaf.children()).isZero();
        heap.remove(leaf);
        assertThat(leaf.inHeap()).isFalse();
        assertThat(leaf.children()).isZero();
    }
}
