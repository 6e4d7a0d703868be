package io.kvstore.tier.nvme;

/**
 * What the NVMe tier does with RocksDB's write-ahead log, which only ever holds index records (81 bytes per
 * block; payloads go to segment files, written before their index record). See docs/tiers.md, "NVMe tier".
 */
public enum WalMode {
    /**
     * No WAL (the default). Index records reach disk when the index is flushed, which the tier does every
     * {@code writeBufferBytes} of payload, with a checkpoint; after a crash the open rebuilds the index records
     * since then from the segment log's tail (records describe themselves), so a kill -9 loses no block whose put
     * returned. It may undo the removes since the last checkpoint (the blocks come back intact). A power loss
     * loses what the disk had not yet made durable.
     */
    DISABLED,
    /** WAL written without fsync: every acknowledged put survives a process crash, not a power loss. */
    BUFFERED,
    /** The segment is fdatasynced and the WAL fsynced on every put: survives power loss; slowest. */
    SYNC
}
