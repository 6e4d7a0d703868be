package io.kvstore.tier.nvme;

import io.kvstore.core.key.BlockKey;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Statistics;
import org.rocksdb.StatsLevel;
import org.rocksdb.TickerType;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * The {@link IndexStore} of an {@link NvmeTier} in RocksDB, with every native options object it needs. Everything is
 * created once, in dependency order, and closed in reverse order (handles, database, then options and cache). The
 * {@code default} column family maps a block key to its {@link MetaDescriptor} record; two more records live in it
 * under keys that cannot be block keys (block keys are 32 bytes; these are 2): the format version and the checkpoint.
 * A directory written by the earlier BlobDB layout has a {@code blocks} column family; it is dropped at open (and
 * the directory started cold: it has no format record).
 */
final class RocksStore implements IndexStore {

    static {
        RocksDB.loadLibrary();
    }

    private static final Logger LOG = LoggerFactory.getLogger(RocksStore.class);
    static final byte[] LEGACY_BLOCKS_CF = "blocks".getBytes(StandardCharsets.UTF_8);
    private static final byte[] FORMAT_KEY = {0, 'F'};
    private static final byte[] CHECKPOINT_KEY = {0, 'C'};

    /** Native objects in creation order; closed last-first. */
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();
    final RocksDB db;
    final ColumnFamilyHandle meta;
    final WriteOptions writeOptions;
    final ReadOptions readOptions;
    final FlushOptions flushOptions;
    final CompactRangeOptions compactOptions;
    private final Statistics statistics;

    /**
     * Opens (or creates) the index in {@code cfg.directory()}, which exists; {@code directIo}: RocksDB's reads,
     * flushes and compactions bypass the page cache.
     */
    static RocksStore open(NvmeTierConfig cfg, boolean directIo) throws IOException {
        try {
            return new RocksStore(cfg, directIo);
        } catch (RocksDBException e) {
            throw new IOException(e);
        }
    }

    private RocksStore(NvmeTierConfig cfg, boolean directIo) throws RocksDBException {
        try {
            this.statistics = own(new Statistics());
            statistics.setStatsLevel(StatsLevel.EXCEPT_DETAILED_TIMERS);
            Cache cache = own(new LRUCache(cfg.blockCacheBytes()));
            BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockCache(cache)
                    .setCacheIndexAndFilterBlocks(true).setPinL0FilterAndIndexBlocksInCache(true);
            ColumnFamilyOptions metaOpts = own(new ColumnFamilyOptions()
                    .setTableFormatConfig(table)
                    .setCompressionType(CompressionType.NO_COMPRESSION)
                    .setWriteBufferSize(Math.min(cfg.effectiveWriteBufferBytes(), 8L << 20))
                    .setMaxWriteBufferNumber(cfg.maxWriteBuffers()));
            DBOptions dbOpts = own(new DBOptions()
                    .setCreateIfMissing(true)
                    .setCreateMissingColumnFamilies(true)
                    .setStatistics(statistics)
                    .setMaxBackgroundJobs(cfg.backgroundJobs())
                    .setUseDirectReads(directIo)
                    .setUseDirectIoForFlushAndCompaction(directIo)
                    .setBytesPerSync(directIo ? 0 : 1L << 20)
                    .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
                    .setAvoidFlushDuringShutdown(false)
                    .setKeepLogFileNum(2)
                    .setMaxManifestFileSize(16L << 20));
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, metaOpts));
            boolean legacy = legacyLayout(cfg.directory());
            if (legacy) {
                descriptors.add(new ColumnFamilyDescriptor(LEGACY_BLOCKS_CF, metaOpts));
            }
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            this.db = own(RocksDB.open(dbOpts, cfg.directory().toString(), descriptors, handles));
            this.meta = own(handles.get(0));
            if (legacy) {
                LOG.warn("{}: dropping the BlobDB column family of an earlier layout in {}", cfg.name(),
                        cfg.directory());
                db.dropColumnFamily(handles.get(1));
                handles.get(1).close();
            }
            this.writeOptions = own(new WriteOptions()
                    .setDisableWAL(cfg.walMode() == WalMode.DISABLED)
                    .setSync(cfg.walMode() == WalMode.SYNC));
            // Index records carry their own CRC32C, checked by the JDK's intrinsic; RocksDB's CRC in the published
            // jars is a software loop (see docs/tiers.md), so its second read-time check is switched off.
            this.readOptions = own(new ReadOptions().setVerifyChecksums(false));
            this.flushOptions = own(new FlushOptions().setWaitForFlush(true));
            this.compactOptions = own(new CompactRangeOptions()
                    .setExclusiveManualCompaction(false)
                    .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForceOptimized));
        } catch (RocksDBException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** True if {@code dir} holds a database with the earlier layout's {@code blocks} column family. */
    private static boolean legacyLayout(Path dir) throws RocksDBException {
        if (!Files.exists(dir.resolve("CURRENT"))) {
            return false;
        }
        try (org.rocksdb.Options o = new org.rocksdb.Options()) {
            for (byte[] cf : RocksDB.listColumnFamilies(o, dir.toString())) {
                if (java.util.Arrays.equals(cf, LEGACY_BLOCKS_CF)) {
                    return true;
                }
            }
        }
        return false;
    }

    private <T extends AutoCloseable> T own(T resource) {
        owned.push(resource);
        return resource;
    }

    /** Bytes RocksDB wrote to the device for the index: memtable flushes, compactions and its WAL. */
    @Override
    public long bytesWritten() {
        return statistics.getTickerCount(TickerType.FLUSH_WRITE_BYTES)
                + statistics.getTickerCount(TickerType.COMPACT_WRITE_BYTES)
                + statistics.getTickerCount(TickerType.WAL_FILE_BYTES);
    }

    @Override
    public void put(BlockKey key, byte[] record) throws IOException {
        try {
            db.put(meta, writeOptions, key.toBytes(), record);
        } catch (RocksDBException e) {
            throw new IOException(e);
        }
    }

    @Override
    public void delete(BlockKey key) throws IOException {
        try {
            db.delete(meta, writeOptions, key.toBytes());
        } catch (RocksDBException e) {
            throw new IOException(e);
        }
    }

    @Override
    public void forEach(RecordVisitor visitor) throws IOException {
        try (RocksIterator it = db.newIterator(meta, readOptions)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (k.length == BlockKey.BYTES) { // not the format and checkpoint records
                    visitor.visit(BlockKey.of(k), it.value());
                }
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IOException(e);
        }
    }

    @Override
    public long estimatedRecords() {
        return Math.max(0, property("rocksdb.estimate-num-keys"));
    }

    @Override
    public int format() throws IOException {
        byte[] v = get(FORMAT_KEY);
        return v == null || v.length != 4 ? -1 : ByteBuffer.wrap(v).getInt();
    }

    @Override
    public void writeFormat() throws IOException {
        put(FORMAT_KEY, ByteBuffer.allocate(4).putInt(FORMAT).array());
    }

    @Override
    public boolean isEmpty() {
        try (RocksIterator it = db.newIterator(meta, readOptions)) {
            it.seekToFirst();
            return !it.isValid();
        }
    }

    @Override
    public void clear() throws IOException {
        try (RocksIterator it = db.newIterator(meta, readOptions)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                db.delete(meta, writeOptions, it.key());
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IOException(e);
        }
    }

    @Override
    public Checkpoint checkpoint() throws IOException {
        byte[] v = get(CHECKPOINT_KEY);
        if (v == null || v.length != 16) {
            return Checkpoint.NONE;
        }
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.BIG_ENDIAN);
        return new Checkpoint(b.getLong(), b.getLong());
    }

    @Override
    public void writeCheckpoint(Checkpoint c) throws IOException {
        put(CHECKPOINT_KEY, ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putLong(c.tailFrom())
                .putLong(c.nextSegment()).array());
    }

    @Override
    public void flush() throws IOException {
        try {
            db.flush(flushOptions, meta);
        } catch (RocksDBException e) {
            throw new IOException(e);
        }
    }

    @Override
    public void compact() throws IOException {
        try {
            db.compactRange(meta, null, null, compactOptions);
        } catch (RocksDBException e) {
            throw new IOException(e);
        }
    }

    @Override
    public void stats(Map<String, Long> details) {
        details.put("sst_bytes", property("rocksdb.total-sst-files-size"));
        details.put("memtable_bytes", property("rocksdb.cur-size-all-mem-tables"));
    }

    private byte[] get(byte[] key) throws IOException {
        try {
            return db.get(meta, readOptions, key);
        } catch (RocksDBException e) {
            throw new IOException(e);
        }
    }

    private void put(byte[] key, byte[] value) throws IOException {
        try {
            db.put(meta, writeOptions, key, value);
        } catch (RocksDBException e) {
            throw new IOException(e);
        }
    }

    private long property(String name) {
        try {
            return db.getLongProperty(meta, name);
        } catch (RocksDBException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        if (db != null && !owned.isEmpty()) {
            db.cancelAllBackgroundWork(true);
        }
        while (!owned.isEmpty()) {
            AutoCloseable c = owned.pop();
            try {
                if (c instanceof RocksDB d) {
                    d.closeE();
                } else {
                    c.close();
                }
            } catch (Exception e) {
                LOG.warn("closing {}: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
