package io.kvstore.protocol;

import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.netty.buffer.ByteBuf;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Primitive body fields: strings ({@code u16 length + UTF-8}), key lists ({@code u32 count + 32-byte keys}) and
 * block headers ({@link BlockDescriptor}). Readers check every length against what is readable and against the
 * limits before allocating, and throw {@link ProtocolException} naming the field. Stateless.
 */
public final class Wire {

    private Wire() {
    }

    public static void writeString(ByteBuf out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 65535) {
            throw new IllegalArgumentException("string field longer than 65535 bytes");
        }
        out.writeShort(b.length).writeBytes(b);
    }

    public static String readString(ByteBuf in, int maxBytes, String field) {
        need(in, 2, field + " length");
        int n = in.readUnsignedShort();
        if (n > maxBytes) {
            throw new ProtocolException(ErrorCode.LIMIT_EXCEEDED, field + " is " + n + " bytes, limit " + maxBytes);
        }
        need(in, n, field);
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(in.nioBuffer(in.readerIndex(), n)).toString();
            in.skipBytes(n);
            return s;
        } catch (CharacterCodingException e) {
            throw new ProtocolException(ErrorCode.MALFORMED, field + " is not valid UTF-8");
        }
    }

    public static void writeKeys(ByteBuf out, List<BlockKey> keys) {
        out.writeInt(keys.size());
        for (BlockKey k : keys) {
            writeKey(out, k);
        }
    }

    public static List<BlockKey> readKeys(ByteBuf in, int maxKeys, String field) {
        int n = readCount(in, maxKeys, field);
        need(in, (long) n * BlockKey.BYTES, field);
        List<BlockKey> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(readKey(in));
        }
        return keys;
    }

    /** Reads a u32 count and checks it against {@code max}. */
    public static int readCount(ByteBuf in, int max, String field) {
        need(in, 4, field + " count");
        long n = in.readUnsignedInt();
        if (n > max) {
            throw new ProtocolException(ErrorCode.LIMIT_EXCEEDED, field + " count " + n + " exceeds the limit " + max);
        }
        return (int) n;
    }

    public static void writeKey(ByteBuf out, BlockKey key) {
        out.writeBytes(key.toBytes());
    }

    public static BlockKey readKey(ByteBuf in) {
        need(in, BlockKey.BYTES, "key");
        byte[] b = new byte[BlockKey.BYTES];
        in.readBytes(b);
        return BlockKey.of(b);
    }

    /** Writes the 80-byte block header of {@link BlockDescriptor} (the namespace id is not sent). */
    public static void writeBlockHeader(ByteBuf out, BlockMeta m) {
        writeKey(out, m.key());
        writeKey(out, m.parent());
        out.writeInt(m.position()).writeInt(m.layoutId()).writeInt(m.length()).writeInt(m.crc32c());
    }

    /**
     * Reads a block header and checks that exactly {@code length} payload bytes follow it.
     *
     * @param namespaceId the session's namespace, recorded in the returned metadata
     */
    public static BlockMeta readBlockHeader(ByteBuf in, long namespaceId) {
        BlockMeta m = readBlockHeaderOnly(in, namespaceId);
        checkPayloadLength(m, in, "");
        return m;
    }

    /**
     * Checks that what is left of {@code in} is exactly the payload {@code m}'s length field announces; MALFORMED
     * otherwise, naming the {@code where} (e.g. " after the token ids", or empty).
     */
    public static void checkPayloadLength(BlockMeta m, ByteBuf in, String where) {
        if (m.length() != in.readableBytes()) {
            throw new ProtocolException(ErrorCode.MALFORMED, "block length field says "
                    + Integer.toUnsignedString(m.length()) + " bytes, the frame carries " + in.readableBytes()
                    + where);
        }
    }

    /**
     * Reads the token ids that follow a block header in a PUT frame flagged {@link FrameDescriptor#FLAG_TOKENS}:
     * {@code u32 count, count x u32}. At most {@code max} ids.
     */
    public static int[] readTokenIds(ByteBuf in, int max) {
        need(in, 4, "token count");
        long n = in.readUnsignedInt();
        if (n > max) {
            throw new ProtocolException(ErrorCode.LIMIT_EXCEEDED, "a block carries " + n + " token ids, at most " + max);
        }
        need(in, 4 * n, "token ids");
        int[] t = new int[(int) n];
        for (int i = 0; i < t.length; i++) {
            t[i] = in.readInt();
        }
        return t;
    }

    /** Writes a block's token ids as {@link #readTokenIds} reads them. */
    public static void writeTokenIds(ByteBuf out, int[] tokens) {
        out.writeInt(tokens.length);
        for (int t : tokens) {
            out.writeInt(t);
        }
    }

    /** Reads a block header whose payload is elsewhere (SHM_GET); checks the fields only. */
    public static BlockMeta readBlockHeaderOnly(ByteBuf in, long namespaceId) {
        need(in, BlockDescriptor.BYTES, "block header");
        BlockKey key = readKey(in);
        BlockKey parent = readKey(in);
        int position = in.readInt();
        int layoutId = in.readInt();
        int length = in.readInt();
        int crc = in.readInt();
        if (position < 0) {
            throw new ProtocolException(ErrorCode.MALFORMED, "block position " + Integer.toUnsignedString(position)
                    + " is >= 2^31");
        }
        if (length < 0) {
            throw new ProtocolException(ErrorCode.MALFORMED, "block length " + Integer.toUnsignedString(length)
                    + " is >= 2^31");
        }
        return new BlockMeta(key, parent, position, namespaceId, layoutId, length, crc);
    }

    /** Throws MALFORMED unless {@code n} more bytes are readable. */
    public static void need(ByteBuf in, long n, String field) {
        if (in.readableBytes() < n) {
            throw new ProtocolException(ErrorCode.MALFORMED, field + " needs " + n + " bytes, body has "
                    + in.readableBytes() + " left");
        }
    }

    /** Throws MALFORMED if {@code flags} has bits outside {@code allowed}. */
    public static void checkFlags(int flags, int allowed, Opcode op) {
        if ((flags & ~allowed) != 0) {
            throw new ProtocolException(ErrorCode.MALFORMED, "flags 0x" + Integer.toHexString(flags)
                    + " not defined for " + op);
        }
    }
}
