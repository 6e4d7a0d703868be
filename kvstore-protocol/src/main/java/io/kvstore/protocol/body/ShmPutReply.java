package io.kvstore.protocol.body;

import io.kvstore.protocol.ProtocolException;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.Wire;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * SHM_PUT response body: the id of the reservations taken and, per block of the request in order, what the client
 * does with it.
 *
 * <pre>
 *  u64 putId | u32 n | n x (u8 kind | kind WRITE: str file, u64 offset | kind DONE: u8 putCode)
 * </pre>
 * {@code WRITE} (0): room is reserved at {@code offset} of {@code file} (a file name inside the directory of the
 * HELLO reply): the client writes the payload there, then sends SHM_COMMIT. {@code SEND} (1): the block is not
 * reserved in shared memory (the shared tier would not take it: it goes to a tier below): the client sends it with
 * PUT. {@code DONE} (2): nothing to write, {@code putCode} is its final answer (ALREADY_PRESENT, NO_CAPACITY, ...).
 * {@code putId} is 0 when no block is WRITE.
 */
public record ShmPutReply(long putId, List<Slot> slots) {

    /** What the client does with one block. */
    public enum Kind { WRITE, SEND, DONE }

    /** One block's answer: {@code file} and {@code offset} for WRITE, {@code code} for DONE. */
    public record Slot(Kind kind, String file, long offset, PutCode code) {

        public static Slot write(String file, long offset) {
            return new Slot(Kind.WRITE, file, offset, null);
        }

        public static Slot send() {
            return new Slot(Kind.SEND, null, 0, null);
        }

        public static Slot done(PutCode code) {
            return new Slot(Kind.DONE, null, 0, code);
        }
    }

    public void write(ByteBuf out) {
        out.writeLong(putId).writeInt(slots.size());
        for (Slot s : slots) {
            out.writeByte(s.kind().ordinal());
            switch (s.kind()) {
                case WRITE -> {
                    Wire.writeString(out, s.file());
                    out.writeLong(s.offset());
                }
                case DONE -> out.writeByte(s.code().code());
                case SEND -> { }
            }
        }
    }

    /** Reads a reply of at most {@code maxBlocks} blocks. */
    public static ShmPutReply read(ByteBuf in, int maxBlocks) {
        Wire.need(in, 12, "shm put reply");
        long id = in.readLong();
        int n = Wire.readCount(in, maxBlocks, "blocks");
        List<Slot> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Wire.need(in, 1, "kind");
            int kind = in.readUnsignedByte();
            switch (kind) {
                case 0 -> {
                    String file = Wire.readString(in, 4096, "file");
                    Wire.need(in, 8, "offset");
                    out.add(Slot.write(file, in.readLong()));
                }
                case 1 -> out.add(Slot.send());
                case 2 -> {
                    Wire.need(in, 1, "putCode");
                    out.add(Slot.done(PutCode.of(in.readUnsignedByte())));
                }
                default -> throw new ProtocolException(ErrorCode.MALFORMED, "unknown SHM_PUT slot kind " + kind);
            }
        }
        return new ShmPutReply(id, out);
    }
}
