package io.kvstore.protocol.body;

import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.ProtocolException;
import io.kvstore.protocol.Wire;
import io.netty.buffer.ByteBuf;

/**
 * A list of one-byte codes, one per key or block of the request: {@code u32 count | count x u8}. The body of
 * EXISTS, DELETE, PIN, UNPIN replies ({@link KeyOutcome}) and of the PUT ack ({@link PutCode}).
 */
public record StatusList(byte[] codes) {

    public int size() {
        return codes.length;
    }

    public int code(int i) {
        return codes[i] & 0xFF;
    }

    public void write(ByteBuf out) {
        out.writeInt(codes.length).writeBytes(codes);
    }

    public static StatusList read(ByteBuf in) {
        Wire.need(in, 4, "status count");
        long n = in.readUnsignedInt();
        if (n > in.readableBytes()) {
            throw new ProtocolException(ErrorCode.MALFORMED, "status count " + n + " but " + in.readableBytes()
                    + " bytes follow");
        }
        byte[] b = new byte[(int) n];
        in.readBytes(b);
        return new StatusList(b);
    }
}
