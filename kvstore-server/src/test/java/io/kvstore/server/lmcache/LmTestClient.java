package io.kvstore.server.lmcache;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An {@code lm://} client written from the protocol as LMCache's {@code lmcache/v1/protocol.py} packs it (struct
 * {@code "iiiiiiiii150s"} request, {@code "iiiiiiiii"} reply, native order = little-endian), not from the server's
 * code: the test of the door against the spec.
 */
final class LmTestClient implements AutoCloseable {

    /** A reply header: code, length, fmt, dtype, shape0..3, location; and the payload of a GET 200. */
    record Reply(int code, int length, int fmt, int dtype, int[] shape, int location, byte[] payload) {
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    LmTestClient(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(20_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** The 186-byte request header. */
    static byte[] header(int command, String key, int length, int fmt, int dtype, int location, int... shape) {
        ByteBuffer b = ByteBuffer.allocate(186).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(command).putInt(length).putInt(fmt).putInt(dtype).putInt(location);
        int[] s = Arrays.copyOf(shape, 4);
        for (int v : s) {
            b.putInt(v);
        }
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        if (k.length > 150) {
            throw new IllegalArgumentException("key longer than 150 bytes");
        }
        b.put(k);
        while (b.hasRemaining()) {
            b.put((byte) ' '); // Python's str.ljust(150)
        }
        return b.array();
    }

    /** PUT: header + payload, no reply. */
    void put(String key, byte[] payload, int fmt, int dtype, int... shape) throws IOException {
        out.write(header(1, key, payload.length, fmt, dtype, 0, shape));
        out.write(payload);
        out.flush();
    }

    void sendGet(String key) throws IOException {
        send(2, key);
    }

    Reply get(String key) throws IOException {
        sendGet(key);
        return reply(true);
    }

    boolean exist(String key) throws IOException {
        send(3, key);
        return reply(false).code() == 200;
    }

    Reply list() throws IOException {
        send(4, "");
        return reply(false);
    }

    Reply health() throws IOException {
        send(5, "");
        return reply(false);
    }

    void send(int command, String key) throws IOException {
        out.write(header(command, key, 0, 1, 2, 0, 0, 0, 0, 0));
        out.flush();
    }

    void raw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** One reply header and, if {@code withPayload} and 200, its payload. */
    Reply reply(boolean withPayload) throws IOException {
        byte[] h = new byte[36];
        in.readFully(h);
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        int code = b.getInt();
        int length = b.getInt();
        int fmt = b.getInt();
        int dtype = b.getInt();
        int[] shape = {b.getInt(), b.getInt(), b.getInt(), b.getInt()};
        int location = b.getInt();
        byte[] payload = null;
        if (withPayload && code == 200) {
            payload = new byte[length];
            in.readFully(payload);
        }
        return new Reply(code, length, fmt, dtype, shape, location, payload);
    }

    /** True if the server closed the connection. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
