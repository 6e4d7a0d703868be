package io.kvstore.client;

import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.DecodeError;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.Frame;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.FrameEncoder;
import io.kvstore.protocol.FrameHeader;
import io.kvstore.protocol.Opcode;
import io.kvstore.protocol.ProtocolLimits;
import io.kvstore.protocol.body.Hello;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;

/**
 * A plain blocking socket (TCP, or the Unix domain socket of {@link ClientOptions#socketPath()}) for small unary calls made by blocking callers (LOOKUP): the caller's own thread writes
 * the request and reads the answer, so a call wakes two threads (the server's event loop, then the caller) instead
 * of four (the client's event loop is woken to send and again to receive, then hands the answer to the caller).
 * On an idle host every wake-up of a sleeping core costs tens of microseconds, which made up most of a LOOKUP's
 * tail (docs/java-client.md). Same protocol and HELLO as the Netty connection (without shared memory); one call
 * at a time, so {@link KvStoreClient} keeps a pool of them per namespace. Not thread-safe.
 */
final class DirectCallChannel implements AutoCloseable {

    private final CallSocket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final ClientOptions options;
    private final ProtocolLimits limits;
    private long nextId;
    private boolean broken;

    private DirectCallChannel(CallSocket socket, ClientOptions options) {
        this.socket = socket;
        this.options = options;
        this.limits = ClientConnection.limits(options);
        this.in = new DataInputStream(socket.input());
        this.out = socket.output();
    }

    /** Connects and says HELLO for {@code ns}; throws the server's refusal as a {@link KvStoreException}. */
    static DirectCallChannel open(ClientOptions o, Namespace ns) {
        CallSocket s = null;
        try {
            s = CallSocket.connect(o);
            s.timeoutMillis((int) Math.min(Integer.MAX_VALUE, o.connectTimeout().toMillis()));
            DirectCallChannel c = new DirectCallChannel(s, o);
            ByteBuf hello = Unpooled.buffer(128);
            new Hello(FrameDescriptor.VERSION, ns, o.token(), 0).write(hello);
            c.call(Opcode.HELLO, 0, hello).release();
            s.timeoutMillis((int) Math.min(Integer.MAX_VALUE, o.requestTimeout().toMillis()));
            return c;
        } catch (IOException e) {
            if (s != null) {
                s.close();
            }
            throw new KvStoreException.ConnectionClosed("cannot connect to " + o.address(), e);
        } catch (RuntimeException e) {
            if (s != null) {
                s.close();
            }
            throw e;
        }
    }

    /**
     * Sends one request frame ({@code body} is released) and returns the body of its OK answer, which the caller
     * releases. An error answer is thrown as a {@link KvStoreException} saying what the server answered; after a
     * fatal one, a timeout or an I/O error this channel is {@link #broken()}.
     */
    ByteBuf call(Opcode op, int flags, ByteBuf body) throws IOException {
        long id = ++nextId;
        byte[] frame = new byte[FrameDescriptor.HEADER_BYTES + body.readableBytes()];
        ByteBuf f = Unpooled.wrappedBuffer(frame).clear();
        FrameEncoder.writeHeader(f, FrameDescriptor.VERSION, op.code(), flags, 0, id, body.readableBytes());
        f.writeBytes(body);
        body.release();
        try {
            out.write(frame);
            spinForAnswer();
            byte[] h = new byte[FrameDescriptor.HEADER_BYTES];
            in.readFully(h);
            ByteBuf head = Unpooled.wrappedBuffer(h);
            DecodeError bad = FrameHeader.check(head, 0, limits);
            int status = head.getUnsignedByte(FrameDescriptor.STATUS_OFFSET);
            long answerId = head.getLong(FrameDescriptor.REQUEST_ID_OFFSET);
            long length = head.getUnsignedInt(FrameDescriptor.BODY_LENGTH_OFFSET);
            if (bad != null || (answerId != id && answerId != 0)) {
                broken = true;
                throw new KvStoreException(ErrorCode.MALFORMED, "bad frame from the server ("
                        + (bad != null ? bad.message() : "request id " + answerId + " for " + id) + ")");
            }
            byte[] b = new byte[(int) length];
            in.readFully(b);
            ByteBuf answer = Unpooled.wrappedBuffer(b);
            if (status != ErrorCode.OK.code()) {
                Frame err = new Frame(head.getUnsignedByte(FrameDescriptor.VERSION_OFFSET),
                        head.getUnsignedByte(FrameDescriptor.OPCODE_OFFSET),
                        head.getUnsignedByte(FrameDescriptor.FLAGS_OFFSET), status, answerId, answer);
                broken |= err.status().fatal() || answerId == 0;
                throw KvStoreException.answered(err);
            }
            return answer;
        } catch (SocketTimeoutException e) {
            broken = true;
            throw new KvStoreException.Timeout("no answer to " + op + " within " + options.requestTimeout());
        } catch (IOException e) {
            broken = true;
            throw e;
        }
    }

    /**
     * With {@code spinWait}, polls for the first bytes of the answer (FIONREAD, no blocking) that long before the
     * blocking read parks the thread: a parked thread's core may go idle, and waking an idle core (on a VM, a
     * halted vCPU) costs more than a small call's whole round trip.
     */
    private void spinForAnswer() {
        SpinWait.spin(options.spinWait(), () -> {
            try {
                return in.available() > 0;
            } catch (IOException e) {
                return true; // the blocking read that follows reports it
            }
        });
    }

    /** True once the byte stream can no longer be trusted (the channel must be closed, not reused). */
    boolean broken() {
        return broken || socket.isClosed();
    }

    @Override
    public void close() {
        socket.close();
    }
}
