package io.kvstore.tier.nvme;

/**
 * What the NVMe tier does with RocksDB's write-ahead log. See docs/tiers.md, "NVMe tier", for the choice.
 */
public enum WalMode {
    /**
     * No WAL (the default). Every payload is written once, to a blob file, when its memtable is flushed; a crash
     * loses the blocks still in memtables (at most {@code writeBufferBytes * maxWriteBuffers} bytes). Metadata and
     * blocks are flushed together (atomic flush), so whatever survives is whole.
     */
    DISABLED,
    /** WAL written without fsync: survives a process crash, not a power loss; payloads are written twice. */
    BUFFERED,
    /** WAL fsynced on every write: survives power loss; slowest. */
    SYNC
}
