package io.kvstore.client;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;

/**
 * The client's Netty transport: native epoll on Linux when its library loads (fewer system calls and a shorter
 * wake-up path per round trip than NIO's selector, which matters for small unary calls such as LOOKUP), NIO
 * otherwise. {@code -Dkvstore.client.transport=nio} forces NIO. Either connects over TCP or, with
 * {@link ClientOptions#socketPath()}, over a Unix domain socket (NIO through the JDK's UNIX protocol family).
 */
record ClientTransport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends Channel> channelClass,
                       Class<? extends Channel> domainChannelClass) {

    static ClientTransport select() {
        boolean epoll = !"nio".equals(System.getProperty("kvstore.client.transport")) && epollAvailable();
        return epoll ? new ClientTransport("epoll", EpollIoHandler.newFactory(), EpollSocketChannel.class,
                EpollDomainSocketChannel.class)
                : new ClientTransport("nio", NioIoHandler.newFactory(), NioSocketChannel.class,
                NioDomainSocketChannel.class);
    }

    /** The channel type for these options: TCP, or a Unix domain socket with {@code socketPath}. */
    Class<? extends Channel> channelClass(ClientOptions o) {
        return o.socketPath() == null ? channelClass : domainChannelClass;
    }

    /** The server's address in this transport's terms. */
    SocketAddress address(ClientOptions o) {
        if (o.socketPath() == null) {
            return InetSocketAddress.createUnresolved(o.host(), o.port());
        }
        return "epoll".equals(name) ? new DomainSocketAddress(o.socketPath().toString())
                : UnixDomainSocketAddress.of(o.socketPath());
    }

    private static boolean epollAvailable() {
        try {
            return Epoll.isAvailable();
        } catch (LinkageError e) { // the native library is not on the class path (e.g. another OS)
            return false;
        }
    }

    EventLoopGroup group(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory);
    }
}
