package io.kvstore.protocol.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kvstore.core.block.BlockMeta;
import io.kvstore.core.key.BlockKey;
import io.kvstore.protocol.DecodeError;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.Frame;
import io.kvstore.protocol.FrameDecoder;
import io.kvstore.protocol.ProtocolException;
import io.kvstore.protocol.ProtocolLimits;
import io.kvstore.protocol.Wire;
import io.kvstore.protocol.body.Hello;
import io.kvstore.protocol.body.HelloReply;
import io.kvstore.protocol.body.LookupReply;
import io.kvstore.protocol.body.LookupRequest;
import io.kvstore.protocol.body.StatusList;
import io.kvstore.protocol.body.TierCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import java.util.List;
import java.util.Set;
import java.util.function.Consumer;


/**
 * Coverage-guided fuzz targets (Jazzer) for everything that parses bytes from the wire: the frame decoder and
 * every request and response body reader. The contract checked on every input: the only exception a reader may
 * throw is {@link ProtocolException} (a typed error the server answers with), the decoder emits only
 * {@link Frame}s and {@link DecodeError}s, never a body above the frame limit, and collections are never larger
 * than the limits allow.
 *
 * <p>In a normal test run (no {@code JAZZER_FUZZ}) Jazzer replays the corpus under
 * {@code src/test/resources/io/kvstore/protocol/fuzz/ProtocolFuzzTestInputs/<method>/} (regression mode, a few
 * seconds). {@code tools/fuzz-long.sh} runs real fuzzing; see docs/reliability.md.
 */
class ProtocolFuzzTest {

    /** Small limits so that the fuzzer reaches the limit checks with short inputs. */
    static final ProtocolLimits LIMITS = new ProtocolLimits(4096, 64, 256);
    private static final Set<ErrorCode> HEADER_ERRORS = Set.of(ErrorCode.BAD_MAGIC, ErrorCode.UNSUPPORTED_VERSION,
            ErrorCode.FRAME_TOO_LARGE, ErrorCode.TRUNCATED);

    /**
     * The frame decoder, fed the input in two chunks (split where the first byte says) and then closed: the way a
     * TCP stream may cut it. Frames' bodies are handed to the body readers of their opcode.
     */
    @FuzzTest(maxDuration = "10s")
    void frameDecoder(byte[] data) {
        if (data.length == 0) {
            return;
        }
        int split = 1 + (data[0] & 0xff) % data.length;
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(LIMITS));
        ch.writeInbound(Unpooled.wrappedBuffer(data, 1, split - 1));
        ch.writeInbound(Unpooled.wrappedBuffer(data, split, data.length - split));
        ch.finish();
        boolean failed = false;
        Object m;
        while ((m = ch.readInbound()) != null) {
            check(!failed, "a message followed a fatal decode error");
            if (m instanceof Frame f) {
                try {
                    check(f.body().readableBytes() <= LIMITS.maxBodyBytes(), "body above the frame limit");
                    parseBody(f);
                } finally {
                    f.release();
                }
            } else {
                check(m instanceof DecodeError, "decoder emitted " + m);
                DecodeError e = (DecodeError) m;
                check(HEADER_ERRORS.contains(e.code()), "decoder error code " + e.code());
                failed = e.code() != ErrorCode.TRUNCATED;
            }
        }
    }

    @FuzzTest(maxDuration = "5s")
    void hello(byte[] data) {
        parse(data, b -> {
            Hello h = Hello.read(b, LIMITS);
            check(h.namespace().tenant() != null, "no tenant");
        });
    }

    @FuzzTest(maxDuration = "5s")
    void lookupRequest(byte[] data) {
        parse(data, b -> check(LookupRequest.read(b, LIMITS).keys().size() <= LIMITS.maxKeysPerRequest(),
                "key count above the limit"));
    }

    /** GET, EXISTS, DELETE, PIN and UNPIN bodies are one key list. */
    @FuzzTest(maxDuration = "5s")
    void keyList(byte[] data) {
        parse(data, b -> check(Wire.readKeys(b, LIMITS.maxKeysPerRequest(), "keys").size()
                <= LIMITS.maxKeysPerRequest(), "key count above the limit"));
    }

    /** A PUT frame body: block header, then exactly {@code length} payload bytes. */
    @FuzzTest(maxDuration = "5s")
    void putBlock(byte[] data) {
        parse(data, b -> {
            BlockMeta m = Wire.readBlockHeader(b, 7L);
            check(m.length() == b.readableBytes(), "length field disagrees with the payload");
            check(m.position() >= 0, "negative position");
        });
    }

    /** The client's readers of server answers (a client must survive a hostile server too). */
    @FuzzTest(maxDuration = "5s")
    void responses(byte[] data) {
        if (data.length == 0) {
            return;
        }
        byte[] rest = java.util.Arrays.copyOfRange(data, 1, data.length);
        switch (data[0] & 3) {
            case 0 -> parse(rest, HelloReply::read);
            case 1 -> parse(rest, b -> {
                LookupReply r = LookupReply.read(b);
                check(r.tiers().size() == r.hitBlocks(), "tier list size");
            });
            case 2 -> parse(rest, b -> check(StatusList.read(b).size() <= rest.length, "status list larger than its input"));
            default -> parse(rest, b -> {
                List<TierCounters> t = TierCounters.readTiers(b);
                check(t.size() * 86L <= rest.length, "tier list larger than its input");
            });
        }
    }

    private static void parseBody(Frame f) {
        ByteBuf body = f.body().duplicate();
        try {
            switch (f.opcodeCode()) {
                case 0x01 -> Hello.read(body, LIMITS);
                case 0x02 -> LookupRequest.read(body, LIMITS);
                case 0x03, 0x05, 0x06, 0x07, 0x08 -> {
                    List<BlockKey> keys = Wire.readKeys(body, LIMITS.maxKeysPerRequest(), "keys");
                    check(keys.size() <= LIMITS.maxKeysPerRequest(), "key count above the limit");
                }
                case 0x04 -> Wire.readBlockHeader(body, 1L);
                default -> {
                }
            }
        } catch (ProtocolException expected) {
            check(expected.code() == ErrorCode.MALFORMED || expected.code() == ErrorCode.LIMIT_EXCEEDED,
                    "body error code " + expected.code());
        }
    }

    private static void parse(byte[] data, Consumer<ByteBuf> reader) {
        ByteBuf b = Unpooled.wrappedBuffer(data);
        try {
            reader.accept(b);
        } catch (ProtocolException expected) {
            check(expected.code() == ErrorCode.MALFORMED || expected.code() == ErrorCode.LIMIT_EXCEEDED,
                    "body error code " + expected.code());
            check(!expected.detail().isBlank(), "error without a message");
        }
    }

    /** Plain check: AssertJ's per-call cost would dominate the fuzzer's throughput. */
    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
