package io.kvstore.bench.hybrid;

/**
 * What a prefix cache for one model keeps, replayed request by request: it answers the longest prefix a request
 * can resume from, then records the request (stores what it decides to keep, refreshes what was used, and evicts
 * down to its byte capacity).
 *
 * <p>A request is given as its chain of full blocks, {@code chain[0..n)}, trace block ids that are prefix-chained
 * (the same id means the same block at the same position after the same blocks). For a Transformer any prefix whose
 * blocks are all held is a resume point; for a hybrid model a resume point also needs a state snapshot taken exactly
 * at its end.
 *
 * <p>Implementations are single-threaded state for one replay; create one per run.
 */
public interface Retention {

    /** The name reported in tables and JSON rows. */
    String name();

    /**
     * The number of leading blocks of {@code chain[0..n)} the engine can resume after (0: none): every block of
     * that prefix is held, and so is a snapshot at its end when the model has recurrent layers. Not an access.
     */
    int lookup(int[] chain, int n);

    /**
     * Records a request that was served with a resumable prefix of {@code hit} blocks (as {@link #lookup}
     * answered): keeps what the retention admits of {@code chain[0..n)}, refreshes what the hit used, and evicts
     * until the held bytes are within the capacity.
     */
    void record(int[] chain, int n, int hit);

    /** Bytes held now (attention blocks and snapshots). */
    long heldBytes();

    /** Objects (blocks and snapshots) dropped so far to make room or because nothing could use them any more. */
    long evictions();

    /** Snapshots written so far (admitted into the cache). */
    long snapshotsWritten();
}
