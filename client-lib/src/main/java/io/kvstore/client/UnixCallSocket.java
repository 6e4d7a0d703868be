package io.kvstore.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A {@link CallSocket} on a Unix domain socket, with the JDK's UNIX protocol family (Java 16+, no native library).
 * The JDK gives such a channel no socket timeout and no {@code available()}, so the channel is non-blocking and a
 * read that finds nothing waits on a selector for at most the timeout; {@code available()} is a non-blocking read
 * into the input buffer. Not thread-safe.
 */
final class UnixCallSocket implements CallSocket {

    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private final ByteBuffer in = ByteBuffer.allocate(64 << 10).flip(); // read mode: position..limit unread
    private final InputStream input = new Input();
    private final OutputStream output = new Output();
    private int timeoutMillis;

    private UnixCallSocket(SocketChannel channel, Selector selector, int timeoutMillis) throws IOException {
        this.channel = channel;
        this.selector = selector;
        this.key = channel.register(selector, 0);
        this.timeoutMillis = timeoutMillis;
    }

    /** Connects to the socket at {@code path}, waiting at most {@code timeoutMillis}. */
    static UnixCallSocket connect(Path path, int timeoutMillis) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        Selector sel = null;
        try {
            ch.configureBlocking(false);
            sel = Selector.open();
            UnixCallSocket s = new UnixCallSocket(ch, sel, timeoutMillis);
            if (!ch.connect(UnixDomainSocketAddress.of(path))) { // the server's backlog is full
                s.await(SelectionKey.OP_CONNECT, "connect to unix:" + path);
                ch.finishConnect();
            }
            return s;
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (sel != null) {
                sel.close();
            }
            throw e;
        }
    }

    private void await(int op, String what) throws IOException {
        key.interestOps(op);
        selector.selectedKeys().clear();
        if (selector.select(timeoutMillis) == 0) { // the time is up (or the thread was interrupted)
            throw new SocketTimeoutException(what + " timed out after " + timeoutMillis + " ms");
        }
    }

    /** Reads what the socket has now into the buffer; -1 at end of stream. */
    private int fillNow() throws IOException {
        in.compact();
        try {
            return channel.read(in);
        } finally {
            in.flip();
        }
    }

    @Override
    public InputStream input() {
        return input;
    }

    @Override
    public OutputStream output() {
        return output;
    }

    @Override
    public void timeoutMillis(int millis) {
        timeoutMillis = millis;
    }

    @Override
    public boolean isClosed() {
        return !channel.isOpen();
    }

    @Override
    public void close() {
        try {
            channel.close();
            selector.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    private final class Input extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (!in.hasRemaining()) {
                int n = fillNow();
                if (n < 0) {
                    return -1;
                }
                if (n == 0) {
                    await(SelectionKey.OP_READ, "read");
                }
            }
            int n = Math.min(len, in.remaining());
            in.get(b, off, n);
            return n;
        }

        @Override
        public int available() throws IOException {
            if (!in.hasRemaining() && channel.isOpen()) {
                fillNow(); // end of stream shows as 0 here; the next read returns -1
            }
            return in.remaining();
        }
    }

    private final class Output extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                if (channel.write(buf) == 0) {
                    await(SelectionKey.OP_WRITE, "write");
                }
            }
        }
    }
}
