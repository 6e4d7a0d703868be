package io.kvstore.policy.support;

/**
 * An intrusive doubly linked queue of {@link Node}s with O(1) add, remove and move, tracking the total weight of
 * its nodes. The head is the oldest end, the tail the newest. A node is in at most one deque. Not thread-safe.
 *
 * @param <K> key type
 */
public final class NodeDeque<K> {
    private Node<K> head;
    private Node<K> tail;
    private int size;
    private long weight;

    /** The oldest node, or null. */
    public Node<K> head() {
        return head;
    }

    /** The newest node, or null. */
    public Node<K> tail() {
        return tail;
    }

    /** Number of nodes. */
    public int size() {
        return size;
    }

    /** Sum of the nodes' weights. */
    public long weight() {
        return weight;
    }

    /** True if empty. */
    public boolean isEmpty() {
        return size == 0;
    }

    /** Appends a node that is in no deque at the newest end. */
    public void addLast(Node<K> n) {
        if (n.owner != null) {
            throw new IllegalStateException("node already in a deque: " + n.key);
        }
        n.owner = this;
        n.prev = tail;
        n.next = null;
        if (tail == null) {
            head = n;
        } else {
            tail.next = n;
        }
        tail = n;
        size++;
        weight += n.weight;
    }

    /** Removes a node of this deque. */
    public void remove(Node<K> n) {
        if (n.owner != this) {
            throw new IllegalStateException("node not in this deque: " + n.key);
        }
        if (n.prev == null) {
            head = n.next;
        } else {
            n.prev.next = n.next;
        }
        if (n.next == null) {
            tail = n.prev;
        } else {
            n.next.prev = n.prev;
        }
        n.prev = null;
        n.next = null;
        n.owner = null;
        size--;
        weight -= n.weight;
    }

    /** Moves a node of this deque to the newest end. */
    public void moveToLast(Node<K> n) {
        if (tail != n) {
            remove(n);
            addLast(n);
        }
    }
}
