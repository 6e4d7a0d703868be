package io.kvstore.client;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * The blocking byte stream under a {@link DirectCallChannel}: a TCP socket, or the server's Unix domain socket when
 * {@link ClientOptions#socketPath()} is set ({@link UnixCallSocket}). Reads wait at most the timeout and then throw
 * {@link java.net.SocketTimeoutException}; {@code input().available()} never blocks. One caller at a time.
 */
interface CallSocket extends AutoCloseable {

    /** Buffered input; {@code available()} counts bytes that can be read without blocking. */
    InputStream input();

    OutputStream output();

    /** Longest wait of a read (0 = no limit). */
    void timeoutMillis(int millis) throws IOException;

    boolean isClosed();

    /** Closes quietly; idempotent. */
    @Override
    void close();

    /** Connects to the server these options name, waiting at most their connect timeout. */
    static CallSocket connect(ClientOptions o) throws IOException {
        int timeout = (int) Math.min(Integer.MAX_VALUE, o.connectTimeout().toMillis());
        if (o.socketPath() != null) {
            return UnixCallSocket.connect(o.socketPath(), timeout);
        }
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(o.host(), o.port()), timeout);
            return new Tcp(s, new BufferedInputStream(s.getInputStream(), 64 << 10), s.getOutputStream());
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** A TCP socket (no Nagle: a request is one write). */
    record Tcp(Socket socket, InputStream input, OutputStream output) implements CallSocket {

        @Override
        public void timeoutMillis(int millis) throws IOException {
            socket.setSoTimeout(millis);
        }

        @Override
        public boolean isClosed() {
            return socket.isClosed();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
