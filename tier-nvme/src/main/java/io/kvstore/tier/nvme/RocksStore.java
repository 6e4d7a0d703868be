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
import org.rocksdb.MutableColumnFamilyOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
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
 * Two column families: {@code default} holds the small metadata records ({@link MetaDescriptor}) and
 * {@code blocks} holds the block records ({@link RecordDescriptor}) with key-value separation (BlobDB), so
 * compaction moves keys and blob references, not payloads.
 *
 * <p>Not thread-safe to close; the owning tier guarantees no operation runs during {@link #close()}.
 */
final class RocksStore implements AutoCloseable {

    static {
        RocksDB.loadLibrary();
    }

    private static final Logger LOG = LoggerFactory.getLogger(RocksStore.class);
    static final byte[] BLOCKS_CF = "blocks".getBytes(StandardCharsets.UTF_8);

    /** Native objects in creation order; closed last-first. */
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();
    final RocksDB db;
    final ColumnFamilyHandle meta;
    final ColumnFamilyHandle blocks;
    final WriteOptions writeOptions;
    final ReadOptions readOptions;
    final FlushOptions flushOptions;
    final CompactRangeOptions compactOptions;
    final boolean directIo;
    final List<ColumnFamilyHandle> both;

    RocksStore(NvmeTierConfig cfg) throws IOException, RocksDBException {
        Files.createDirectories(cfg.directory());
        this.directIo = cfg.directIo() && supportsDirectIo(cfg.directory());
        if (cfg.directIo() && !directIo) {
            LOG.warn("{}: the filesystem of {} does not support O_DIRECT; reads and flushes go through the page cache",
                    cfg.name(), cfg.directory());
        }
        try {
            Cache cache = own(new LRUCache(cfg.blockCacheBytes()));
            BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockCache(cache)
                    .setCacheIndexAndFilterBlocks(true).setPinL0FilterAndIndexBlocksInCache(true);
            ColumnFamilyOptions metaOpts = own(new ColumnFamilyOptions()
                    .setTableFormatConfig(table)
                    .setCompressionType(CompressionType.NO_COMPRESSION)
                    .setWriteBufferSize(Math.min(cfg.effectiveWriteBufferBytes(), 8L << 20))
                    .setMaxWriteBufferNumber(cfg.maxWriteBuffers()));
            ColumnFamilyOptions blockOpts = own(new ColumnFamilyOptions()
                    .setTableFormatConfig(table)
                    .setCompressionType(CompressionType.NO_COMPRESSION)
                    .setWriteBufferSize(cfg.effectiveWriteBufferBytes())
                    .setMaxWriteBufferNumber(cfg.maxWriteBuffers())
                    .setEnableBlobFiles(true)
                    .setMinBlobSize(cfg.minBlobBytes())
                    .setBlobFileSize(cfg.effectiveBlobFileBytes())
                    .setBlobCompressionType(CompressionType.NO_COMPRESSION) // payloads are encoded by Codec
                    // Blob GC relocates the live blobs of the oldest files on every compaction. In a cache that
                    // evicts roughly oldest-first those files turn into pure garbage by themselves, so relocating
                    // them is wasted writing (measured: a full tier wrote 4x slower with it always on). It is
                    // switched on only for a compaction that follows one which left too much garbage behind.
                    .setEnableBlobGarbageCollection(false)
                    .setBlobGarbageCollectionAgeCutoff(cfg.blobGcAgeCutoff()));
            DBOptions dbOpts = own(new DBOptions()
                    .setCreateIfMissing(true)
                    .setCreateMissingColumnFamilies(true)
                    .setAtomicFlush(true) // metadata and blocks reach disk together, WAL or not
                    .setMaxBackgroundJobs(cfg.backgroundJobs())
                    .setMaxBackgroundFlushes(Math.max(1, cfg.backgroundJobs() / 2))
                    .setUseDirectReads(directIo)
                    .setUseDirectIoForFlushAndCompaction(directIo)
                    .setBytesPerSync(directIo ? 0 : 8L << 20)
                    .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
                    .setAvoidFlushDuringShutdown(false)
                    .setKeepLogFileNum(2)
                    .setMaxManifestFileSize(16L << 20));
            List<ColumnFamilyDescriptor> descriptors = List.of(
                    new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, metaOpts),
                    new ColumnFamilyDescriptor(BLOCKS_CF, blockOpts));
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            this.db = own(RocksDB.open(dbOpts, cfg.directory().toString(), descriptors, handles));
            this.meta = own(handles.get(0));
            this.blocks = own(handles.get(1));
            this.both = List.of(meta, blocks);
            this.writeOptions = own(new WriteOptions()
                    .setDisableWAL(cfg.walMode() == WalMode.DISABLED)
                    .setSync(cfg.walMode() == WalMode.SYNC));
            // RocksDB's CRC32C in the portable jar is a software loop (40% of read CPU for 2 MiB blobs, measured with
            // perf); every record carries its own CRC32C, which the JDK computes with the CPU's instruction and the
            // tier verifies on every read (RecordDescriptor), so RocksDB's second check is switched off.
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

    private <T extends AutoCloseable> T own(T resource) {
        owned.push(resource);
        return resource;
    }

    /** Writes all memtables to disk and waits. */
    void flush() throws RocksDBException {
        db.flush(flushOptions, both);
    }

    /**
     * Compacts both column families: processes deletes, deletes blob files that hold only garbage. With
     * {@code relocate}, blob garbage collection is on for this compaction: the live blobs of the oldest
     * {@code blobGcAgeCutoff} of the blob files are rewritten so that those files can go.
     */
    void compact(boolean relocate) throws RocksDBException {
        if (relocate) {
            db.setOptions(blocks, MutableColumnFamilyOptions.builder().setEnableBlobGarbageCollection(true).build());
        }
        try {
            db.compactRange(blocks, null, null, compactOptions);
        } finally {
            if (relocate) {
                db.setOptions(blocks, MutableColumnFamilyOptions.builder().setEnableBlobGarbageCollection(false)
                        .build());
            }
        }
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
