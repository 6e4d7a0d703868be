package io.kvstore.client;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The client's Netty transport: native epoll on Linux when its library loads (fewer system calls and a shorter
 * wake-up path per round trip than NIO's selector, which matters for small unary calls such as LOOKUP), NIO
 * otherwise. {@code -Dkvstore.client.transport=nio} forces NIO.
 */
record ClientTransport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends Channel> channelClass) {

    static ClientTransport select() {
        boolean epoll = !"nio".equals(System.getProperty("kvstore.client.transport")) && epollAvailable();
        return epoll ? new ClientTransport("epoll", EpollIoHandler.newFactory(), EpollSocketChannel.class)
                : new ClientTransport("nio", NioIoHandler.newFactory(), NioSocketChannel.class);
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
