package io.kvstore.server.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;

import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The socket transport: native epoll where available (Linux x86-64 with the native library on the class path),
 * else Java NIO. Both also listen on Unix domain sockets (epoll natively, NIO through the JDK's UNIX protocol
 * family, Java 16+).
 *
 * @param name               {@code epoll} or {@code nio}
 * @param ioHandlerFactory   for {@link MultiThreadIoEventLoopGroup}
 * @param serverChannelClass the server socket channel type
 * @param domainChannelClass the Unix domain server socket channel type
 */
public record Transport(String name, IoHandlerFactory ioHandlerFactory,
                        Class<? extends ServerChannel> serverChannelClass,
                        Class<? extends ServerChannel> domainChannelClass) {

    /**
     * @param wanted {@code auto}, {@code epoll} or {@code nio}
     * @throws IllegalStateException if epoll is demanded but unavailable (with the reason)
     */
    public static Transport select(String wanted) {
        boolean epoll = switch (wanted) {
            case "nio" -> false;
            case "epoll" -> {
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("transport: epoll is not available here: "
                            + Epoll.unavailabilityCause());
                }
                yield true;
            }
            default -> Epoll.isAvailable();
        };
        return epoll
                ? new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                        EpollServerDomainSocketChannel.class)
                : new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                        NioServerDomainSocketChannel.class);
    }

    /** A new event-loop group of {@code threads} threads. */
    public EventLoopGroup group(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory);
    }

    /**
     * A server bootstrap on this transport with the daemon's socket options (backlog 1024, address reuse, no
     * Nagle, the given write-buffer water marks); {@code init} sets up each accepted channel. Every listening port
     * of the daemon (the protocol port and the doors) is bound through it.
     */
    public ServerBootstrap serverBootstrap(EventLoopGroup boss, EventLoopGroup workers, int writeBufferLowBytes,
                                           int writeBufferHighBytes, Consumer<Channel> init) {
        return bootstrap(boss, workers, writeBufferLowBytes, writeBufferHighBytes, init)
                .channel(serverChannelClass)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true);
    }

    /**
     * The same for a Unix domain socket (no TCP options); bind it to {@link #domainAddress}. The socket file is
     * created by the bind with the process's umask; the caller sets its mode.
     */
    public ServerBootstrap domainServerBootstrap(EventLoopGroup boss, EventLoopGroup workers, int writeBufferLowBytes,
                                                 int writeBufferHighBytes, Consumer<Channel> init) {
        return bootstrap(boss, workers, writeBufferLowBytes, writeBufferHighBytes, init).channel(domainChannelClass);
    }

    /** The address of a Unix domain socket at {@code path} in this transport's type. */
    public SocketAddress domainAddress(Path path) {
        return "epoll".equals(name) ? new DomainSocketAddress(path.toString()) : UnixDomainSocketAddress.of(path);
    }

    private static ServerBootstrap bootstrap(EventLoopGroup boss, EventLoopGroup workers, int writeBufferLowBytes,
                                             int writeBufferHighBytes, Consumer<Channel> init) {
        return new ServerBootstrap()
                .group(boss, workers)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(writeBufferLowBytes, writeBufferHighBytes))
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        init.accept(ch);
                    }
                });
    }
}
