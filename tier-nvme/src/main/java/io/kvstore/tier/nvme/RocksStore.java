package io.kvstore.tier.nvme;

import com.sun.nio.file.ExtendedOpenOption;
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
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The RocksDB instance behind an {@link NvmeTier}, with every native options object it needs. Everything is
 * created once, in dependency order, and closed in reverse order (handles, database, then options and cache).
 * RocksDB holds only the index: the {@code default} column family maps a block key to its
 * {@link MetaDescriptor} record (metadata and the record's place in the segment files); payloads live in
 * {@link SegmentStore}. Two more records live in the same column family under keys that cannot be block keys
 * (block keys are 32 bytes; these are 2): the on-disk {@linkplain #FORMAT format} version, and the
 * {@linkplain Checkpoint checkpoint} written with every index flush. A directory written by the earlier BlobDB
 * layout has a {@code blocks} column family; it is dropped at open (and the directory started cold: it has no
 * format record).
 *
 * <p>Not thread-safe to close; the owning tier guarantees no operation runs during {@link #close()}.
 */
final class RocksStore implements AutoCloseable {

    static {
        RocksDB.loadLibrary();
    }

    private static final Logger LOG = LoggerFactory.getLogger(RocksStore.class);
    static final byte[] LEGACY_BLOCKS_CF = "blocks".getBytes(StandardCharsets.UTF_8);
    /**
     * On-disk format version of the whole directory: 3 = self-describing segment records ({@link RecordDescriptor}
     * version 2), index records of {@link MetaDescriptor} version 2, and the checkpoint record. A directory without
     * it (or with another value) was written by an earlier layout.
     */
    static final int FORMAT = 3;
    private static final byte[] FORMAT_KEY = {0, 'F'};
    private static final byte[] CHECKPOINT_KEY = {0, 'C'};

    /**
     * What the last index flush made durable: every record in a segment with an id below {@code tailFrom} has its
     * index record in the flushed index; records in segments from {@code tailFrom} on may not (the log's tail,
     * scanned at open). {@code nextSegment}: no segment id below it is ever used again.
     */
    record Checkpoint(long tailFrom, long nextSegment) {
        static final Checkpoint NONE = new Checkpoint(0, 0);
    }

    /** Native objects in creation order; closed last-first. */
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();
    final RocksDB db;
    final ColumnFamilyHandle meta;
    final WriteOptions writeOptions;
    final ReadOptions readOptions;
    final FlushOptions flushOptions;
    final CompactRangeOptions compactOptions;
    final boolean directIo;
    private final Statistics statistics;

    RocksStore(NvmeTierConfig cfg) throws IOException, RocksDBException {
        Files.createDirectories(cfg.directory());
        this.directIo = cfg.directIo() && supportsDirectIo(cfg.directory());
        if (cfg.directIo() && !directIo) {
            LOG.warn("{}: the filesystem of {} does not support O_DIRECT; reads and writes go through the page cache",
                    cfg.name(), cfg.directory());
        }
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
    long bytesWritten() {
        return statistics.getTickerCount(TickerType.FLUSH_WRITE_BYTES)
                + statistics.getTickerCount(TickerType.COMPACT_WRITE_BYTES)
                + statistics.getTickerCount(TickerType.WAL_FILE_BYTES);
    }

    /** The directory's format version, or -1 if it has none (new, or an earlier layout). */
    int format() throws RocksDBException {
        byte[] v = db.get(meta, readOptions, FORMAT_KEY);
        return v == null || v.length != 4 ? -1 : ByteBuffer.wrap(v).getInt();
    }

    /** Records the current {@link #FORMAT}. */
    void writeFormat() throws RocksDBException {
        db.put(meta, writeOptions, FORMAT_KEY, ByteBuffer.allocate(4).putInt(FORMAT).array());
    }

    /** True if the index holds any record at all. */
    boolean isEmpty() {
        try (RocksIterator it = db.newIterator(meta, readOptions)) {
            it.seekToFirst();
            return !it.isValid();
        }
    }

    /** Deletes every record (starting an earlier layout's directory cold). */
    void clear() throws RocksDBException {
        try (RocksIterator it = db.newIterator(meta, readOptions)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                db.delete(meta, writeOptions, it.key());
            }
            it.status();
        }
    }

    /** The last checkpoint written, or {@link Checkpoint#NONE}. */
    Checkpoint checkpoint() throws RocksDBException {
        byte[] v = db.get(meta, readOptions, CHECKPOINT_KEY);
        if (v == null || v.length != 16) {
            return Checkpoint.NONE;
        }
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.BIG_ENDIAN);
        return new Checkpoint(b.getLong(), b.getLong());
    }

    /** Puts the checkpoint into the memtable; the caller flushes. */
    void writeCheckpoint(Checkpoint c) throws RocksDBException {
        db.put(meta, writeOptions, CHECKPOINT_KEY,
                ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putLong(c.tailFrom()).putLong(c.nextSegment())
                        .array());
    }

    /** Writes the memtable to disk and waits. */
    void flush() throws RocksDBException {
        db.flush(flushOptions, meta);
    }

    /** Compacts the index (processes deletes). */
    void compact() throws RocksDBException {
        db.compactRange(meta, null, null, compactOptions);
    }

    long property(ColumnFamilyHandle cf, String name) {
        try {
            return db.getLongProperty(cf, name);
        } catch (RocksDBException e) {
            return -1;
        }
    }

    @Override
    public void close() {
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

    /** True if files in {@code dir} can be opened with O_DIRECT (not on tmpfs, for instance). */
    static boolean supportsDirectIo(Path dir) {
        Path probe = dir.resolve(".direct-io-probe");
        try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            ByteBuffer b = ByteBuffer.allocateDirect(2 * 4096).alignedSlice(4096);
            b.limit(4096);
            ch.write(b, 0);
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }
}
