package io.kvstore.server.resp;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A RESP2 socket for tests that need bytes no client library sends: raw writes, one reply read at a time. */
final class RawResp implements AutoCloseable {

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    RawResp(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** A command as a RESP array of bulk strings. */
    static byte[] command(String... args) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String a : args) {
            byte[] v = a.getBytes(StandardCharsets.UTF_8);
            b.writeBytes(("$" + v.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(v);
            b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return b.toByteArray();
    }

    RawResp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    RawResp send(String... args) throws IOException {
        return send(command(args));
    }

    /**
     * One reply, rendered as text: {@code +OK}, {@code -ERR ...}, {@code :3}, the bulk string's content, {@code nil},
     * or for an array its elements joined by {@code |}.
     */
    String reply() throws IOException {
        String line = line();
        switch (line.charAt(0)) {
            case '$' -> {
                int n = Integer.parseInt(line.substring(1));
                if (n < 0) {
                    return "nil";
                }
                byte[] v = new byte[n];
                in.readFully(v);
                line(); // CRLF
                return new String(v, StandardCharsets.UTF_8);
            }
            case '*', '%' -> { // a RESP3 map (%) is its keys and values in turn, marked with a leading %
                int n = Integer.parseInt(line.substring(1)) * (line.charAt(0) == '%' ? 2 : 1);
                StringBuilder b = new StringBuilder(line.charAt(0) == '%' ? "%" : "");
                for (int i = 0; i < n; i++) {
                    b.append(i == 0 ? "" : "|").append(reply());
                }
                return b.toString();
            }
            case '_' -> {
                return "null"; // RESP3
            }
            default -> {
                return line;
            }
        }
    }

    /** One bulk-string reply's bytes (null for nil); anything else fails. */
    byte[] bulk() throws IOException {
        String line = line();
        if (line.charAt(0) != '$') {
            throw new IOException("expected a bulk string, got '" + line + "'");
        }
        int n = Integer.parseInt(line.substring(1));
        if (n < 0) {
            return null;
        }
        byte[] v = new byte[n];
        in.readFully(v);
        line();
        return v;
    }

    /** True if the server closed the connection (reads end of stream within the socket timeout). */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        InputStream s = in;
        int c;
        while ((c = s.read()) != '\n') {
            if (c < 0) {
                throw new EOFException("connection closed after '" + b + "'");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
