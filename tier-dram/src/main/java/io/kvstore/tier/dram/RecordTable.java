package io.kvstore.tier.dram;

import io.kvstore.core.key.BlockKey;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The durable half of a persistent DRAM tier's index: a memory-mapped file with one fixed-size slot per arena page.
 * A stored block's record lives in the slot of its run's first page, so the file needs no hashing, no locks and no
 * code generated at run time; the in-memory index (a hash map from key to record) is rebuilt from it at open.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 state (0 empty, 1 valid): written last        |  0
 *  +---------------------------------------------------------------+
 *  |                 CRC32C of bytes 8..112                        |  4
 *  +---------------------------------------------------------------+
 *  |                 block key (32 bytes)                         ...  8
 *  +---------------------------------------------------------------+
 *  |                 index record (IndexRecordDescriptor, 72 b)   ... 40
 *  +---------------------------------------------------------------+
 *  |                 unused                                       ... 112
 *  +---------------------------------------------------------------+
 *                                                                    128 = SLOT
 * </pre>
 *
 * <p>Crash consistency: a slot is filled (key, record, checksum) before its state says valid, and its state is
 * cleared before the run's pages can go to another block, so a process killed at any instruction leaves every slot
 * either empty, or valid and describing bytes that were written before it. A slot written by a put that then lost a
 * race for its key may survive a kill as a second record of that key; {@link DramTier} keeps one of them at open.
 *
 * <p>Thread-safety: a slot belongs to the owner of its page (the arena hands a page to one run at a time), so
 * concurrent calls touch different slots; {@link #read} is for the single-threaded scan at open.
 */
final class RecordTable implements AutoCloseable {

    static final int SLOT = 128;
    private static final int STATE_OFFSET = 0;
    private static final int CRC_OFFSET = 4;
    private static final int KEY_OFFSET = 8;
    private static final int RECORD_OFFSET = KEY_OFFSET + BlockKey.BYTES;
    private static final int END = RECORD_OFFSET + IndexRecordDescriptor.LENGTH;
    private static final int VALID = 1;
    /** Slots per mapping: 128 MiB, so that any page count fits in mappings below the 2 GiB limit of a buffer. */
    private static final int SLOTS_PER_CHUNK = 1 << 20;
    private static final VarHandle STATE = MethodHandles.byteBufferViewVarHandle(int[].class,
            ByteOrder.LITTLE_ENDIAN);

    private final int slots;
    private final MappedByteBuffer[] chunks;

    private RecordTable(int slots, MappedByteBuffer[] chunks) {
        this.slots = slots;
        this.chunks = chunks;
    }

    /** The file's length for {@code slots} slots. */
    static long fileLength(int slots) {
        return (long) slots * SLOT;
    }

    /**
     * Maps {@code file}, creating it (all slots empty) if it does not exist.
     *
     * @throws IllegalStateException if the file exists with another length than {@code slots} slots need
     */
    static RecordTable open(Path file, int slots) throws IOException {
        boolean existed = Files.exists(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            PageArena.restrict(file);
            if (existed && ch.size() != fileLength(slots)) {
                throw new IllegalStateException("the index file has " + ch.size() + " bytes, expected "
                        + fileLength(slots));
            }
            if (!existed) {
                ch.write(ByteBuffer.wrap(new byte[1]), fileLength(slots) - 1); // a sparse file of zeros
            }
            MappedByteBuffer[] chunks = new MappedByteBuffer[(slots + SLOTS_PER_CHUNK - 1) / SLOTS_PER_CHUNK];
            for (int i = 0; i < chunks.length; i++) {
                long from = (long) i * SLOTS_PER_CHUNK * SLOT;
                chunks[i] = ch.map(FileChannel.MapMode.READ_WRITE, from, Math.min(fileLength(slots) - from,
                        (long) SLOTS_PER_CHUNK * SLOT));
                chunks[i].order(ByteOrder.LITTLE_ENDIAN);
            }
            return new RecordTable(slots, chunks);
        }
    }

    int slots() {
        return slots;
    }

    /** Fills the slot of page {@code first} with a block's key and record, then marks it valid. */
    void write(int first, BlockKey key, byte[] record) {
        ByteBuffer c = chunk(first);
        int at = offset(first);
        STATE.setRelease(c, at + STATE_OFFSET, 0);
        ByteBuffer slot = c.slice(at, SLOT).order(ByteOrder.LITTLE_ENDIAN);
        slot.position(KEY_OFFSET);
        key.writeTo(slot);
        slot.put(RECORD_OFFSET, record);
        slot.putInt(CRC_OFFSET, crc(slot));
        STATE.setRelease(c, at + STATE_OFFSET, VALID);
    }

    /** Marks the slot of page {@code first} empty. */
    void clear(int first) {
        STATE.setRelease(chunk(first), offset(first) + STATE_OFFSET, 0);
    }

    /** A valid slot's contents. */
    record Slot(BlockKey key, byte[] record) {
    }

    /**
     * The slot of page {@code page}: null if it is empty; {@link #DAMAGED} if it says valid but its checksum fails.
     */
    Slot read(int page) {
        ByteBuffer c = chunk(page);
        int at = offset(page);
        if ((int) STATE.getAcquire(c, at + STATE_OFFSET) != VALID) {
            return null;
        }
        ByteBuffer slot = c.slice(at, SLOT).order(ByteOrder.LITTLE_ENDIAN);
        if (slot.getInt(CRC_OFFSET) != crc(slot)) {
            return DAMAGED;
        }
        byte[] record = new byte[IndexRecordDescriptor.LENGTH];
        slot.get(RECORD_OFFSET, record);
        return new Slot(BlockKey.read(slot.position(KEY_OFFSET)), record);
    }

    /** What {@link #read} answers for a valid slot whose checksum fails. */
    static final Slot DAMAGED = new Slot(null, null);

    private static int crc(ByteBuffer slot) {
        CRC32C crc = new CRC32C();
        crc.update(slot.slice(KEY_OFFSET, END - KEY_OFFSET));
        return (int) crc.getValue();
    }

    private ByteBuffer chunk(int page) {
        if (page < 0 || page >= slots) {
            throw new IndexOutOfBoundsException("page " + page + " of " + slots);
        }
        return chunks[page / SLOTS_PER_CHUNK];
    }

    private static int offset(int page) {
        return (page % SLOTS_PER_CHUNK) * SLOT;
    }

    /** Unmaps the file (it stays on disk). Not idempotent by itself: {@link DramTier#close()} calls it once. */
    @Override
    public void close() {
        for (MappedByteBuffer c : chunks) {
            PageArena.unmap(c);
        }
    }
}
