package io.kvstore.server.events;

import io.kvstore.core.key.BlockKey;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The msgpack payload of one batch of vLLM's KV events ({@code vllm/distributed/kv_events.py}, msgspec structs
 * encoded as arrays, tagged with the class name):
 *
 * <pre>
 *  batch        = [ts: float64, events: [event...], data_parallel_rank: int]
 *  BlockStored  = ["BlockStored", block_hashes: [hash...], parent_block_hash: hash | nil, token_ids: [int...],
 *                  block_size: int, lora_id: nil, medium: str, lora_name: nil]
 *  BlockRemoved = ["BlockRemoved", block_hashes: [hash...], medium: str]
 *  AllBlocksCleared = ["AllBlocksCleared"]
 *  hash         = uint64 (low 64 bits of the block key, {@link HashFormat#U64}) | bin 32 (the key, {@link HashFormat#BYTES})
 * </pre>
 * The ZeroMQ message around a payload is three frames: topic, sequence number (8 bytes, big-endian), payload.
 * {@link #decode} reads what vLLM engines and kvstore daemons publish (trailing fields it does not know are skipped)
 * and reduces every hash to 64 bits (a 32-byte hash to its last 8 bytes, which is what {@code u64} sends).
 */
public final class KvEventCodec {

    private final HashFormat hashFormat;

    public KvEventCodec(HashFormat hashFormat) {
        this.hashFormat = hashFormat;
    }

    /** A decoded event: the tag, its hashes reduced to 64 bits, and the fields of BlockStored. */
    public record Decoded(String tag, long[] hashes, Long parent, int[] tokenIds, int blockSize, String medium) {
    }

    /** A decoded batch. */
    public record DecodedBatch(double timestamp, List<Decoded> events, int dataParallelRank) {
    }

    /** Encodes one batch. */
    public byte[] encode(double timestamp, List<KvEvent> events, int dataParallelRank) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(3);
            p.packDouble(timestamp);
            p.packArrayHeader(events.size());
            for (KvEvent e : events) {
                switch (e.kind()) {
                    case BLOCK_STORED -> {
                        p.packArrayHeader(8);
                        p.packString(e.kind().tag());
                        p.packArrayHeader(1);
                        packHash(p, e.key());
                        if (e.parent() == null) {
                            p.packNil();
                        } else {
                            packHash(p, e.parent());
                        }
                        p.packArrayHeader(e.tokenIds().length);
                        for (int t : e.tokenIds()) {
                            p.packLong(Integer.toUnsignedLong(t));
                        }
                        p.packInt(e.blockSize());
                        p.packNil(); // lora_id: deprecated in vLLM; kvstore's LoRA id is part of the namespace
                        p.packString(e.medium());
                        p.packNil(); // lora_name
                    }
                    case BLOCK_REMOVED -> {
                        p.packArrayHeader(3);
                        p.packString(e.kind().tag());
                        p.packArrayHeader(1);
                        packHash(p, e.key());
                        p.packString(e.medium());
                    }
                    case ALL_BLOCKS_CLEARED -> {
                        p.packArrayHeader(1);
                        p.packString(e.kind().tag());
                    }
                }
            }
            p.packInt(dataParallelRank);
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // an in-memory packer does not fail
        }
    }

    private void packHash(MessageBufferPacker p, BlockKey key) throws IOException {
        if (hashFormat == HashFormat.BYTES) {
            byte[] b = key.toBytes();
            p.packBinaryHeader(b.length);
            p.writePayload(b);
            return;
        }
        long v = HashFormat.low64(key);
        if (v >= 0) {
            p.packLong(v);
        } else { // uint64 above 2^63: msgpack's uint 64 format, written as is (no BigInteger per hash)
            p.writePayload(new byte[] {UINT64, (byte) (v >>> 56), (byte) (v >>> 48), (byte) (v >>> 40),
                    (byte) (v >>> 32), (byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        }
    }

    /** msgpack's "uint 64" format byte. */
    private static final byte UINT64 = (byte) 0xcf;

    /**
     * Decodes one batch payload (vLLM's or kvstore's). Throws {@link IllegalArgumentException} naming what does not
     * parse.
     */
    public static DecodedBatch decode(byte[] payload) {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(payload)) {
            int n = u.unpackArrayHeader();
            if (n < 2) {
                throw new IllegalArgumentException("a batch is [ts, events, rank?], got an array of " + n);
            }
            double ts = u.getNextFormat().getValueType() == ValueType.FLOAT ? u.unpackDouble() : u.unpackLong();
            int count = u.unpackArrayHeader();
            List<Decoded> events = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                events.add(event(u));
            }
            int rank = 0;
            if (n > 2) {
                if (u.getNextFormat() == MessageFormat.NIL) {
                    u.unpackNil();
                } else {
                    rank = u.unpackInt();
                }
                for (int i = 3; i < n; i++) {
                    u.skipValue();
                }
            }
            return new DecodedBatch(ts, events, rank);
        } catch (IOException | MessagePackException | ClassCastException e) {
            throw new IllegalArgumentException("not a KV-event batch: " + e.getMessage(), e);
        }
    }

    private static Decoded event(MessageUnpacker u) throws IOException {
        int fields = u.unpackArrayHeader();
        if (fields < 1) {
            throw new IllegalArgumentException("an event is a tagged array, got an empty one");
        }
        String tag = u.unpackString();
        long[] hashes = new long[0];
        Long parent = null;
        int[] tokens = new int[0];
        int blockSize = 0;
        String medium = null;
        int read = 1;
        switch (tag) {
            case "BlockStored" -> {
                hashes = hashes(u);
                parent = nullableHash(u);
                int nt = u.unpackArrayHeader();
                tokens = new int[nt];
                for (int i = 0; i < nt; i++) {
                    tokens[i] = (int) u.unpackLong();
                }
                blockSize = u.unpackInt();
                read = 5;
                if (fields > 5) {
                    u.skipValue(); // lora_id
                    read++;
                }
                if (fields > 6) {
                    medium = nullableString(u);
                    read++;
                }
            }
            case "BlockRemoved" -> {
                hashes = hashes(u);
                read = 2;
                if (fields > 2) {
                    medium = nullableString(u);
                    read++;
                }
            }
            default -> {
                // AllBlocksCleared, or a kind this reader does not know: its fields are skipped
            }
        }
        for (int i = read; i < fields; i++) {
            u.skipValue();
        }
        return new Decoded(tag, hashes, parent, tokens, blockSize, medium);
    }

    private static long[] hashes(MessageUnpacker u) throws IOException {
        int n = u.unpackArrayHeader();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = hash(u);
        }
        return out;
    }

    private static Long nullableHash(MessageUnpacker u) throws IOException {
        if (u.getNextFormat() == MessageFormat.NIL) {
            u.unpackNil();
            return null;
        }
        return hash(u);
    }

    /** A hash as 64 bits: an integer as is (uint64 wraps to a negative long), bytes by their last 8. */
    private static long hash(MessageUnpacker u) throws IOException {
        MessageFormat f = u.getNextFormat();
        if (f.getValueType() == ValueType.INTEGER) {
            if (f == MessageFormat.UINT64) { // read as is: the format byte, then 8 bytes big-endian
                return java.nio.ByteBuffer.wrap(u.readPayload(9), 1, 8).getLong();
            }
            return u.unpackLong();
        }
        if (f.getValueType() == ValueType.BINARY || f.getValueType() == ValueType.STRING) {
            byte[] b = f.getValueType() == ValueType.BINARY ? u.readPayload(u.unpackBinaryHeader())
                    : u.unpackString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            long v = 0;
            for (int i = Math.max(0, b.length - 8); i < b.length; i++) {
                v = (v << 8) | (b[i] & 0xFF);
            }
            return v;
        }
        throw new IllegalArgumentException("a block hash is an integer or bytes, got " + f);
    }

    private static String nullableString(MessageUnpacker u) throws IOException {
        if (u.getNextFormat() == MessageFormat.NIL) {
            u.unpackNil();
            return null;
        }
        return u.unpackString();
    }

    /** The 8-byte big-endian sequence frame. */
    public static byte[] sequenceFrame(long seq) {
        return ByteBuffer.allocate(Long.BYTES).putLong(seq).array();
    }
}
