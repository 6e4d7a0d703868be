package io.kvstore.server.net;

import java.net.InetSocketAddress;

import io.kvstore.protocol.ErrorCode;
import io.kvstore.protocol.FrameDescriptor;
import io.kvstore.protocol.body.Hello;
import io.kvstore.protocol.body.HelloReply;
import io.netty.buffer.ByteBuf;

/**
 * HELLO: checks the token, computes the namespace id from the namespace fields, opens the session. Offers shared
 * memory (the arena directory in the reply) when the client asks for it, the server has it and the peer is a
 * loopback address or came through the Unix domain socket (same host by construction), and its token may read every tenant (an arena file holds every tenant's blocks, so a token
 * limited to some tenants keeps the TCP path); the client must still prove it runs here (SHM_ATTACH). Grants
 * server-computed PUT checksums to a client that asks. Tells every client that it answers HYBRID_LOOKUP.
 */
final class HelloHandler implements OpHandler {

    @Override
    public int allowedFlags() {
        return 0;
    }

    @Override
    public boolean allowedBeforeHello() {
        return true;
    }

    @Override
    public void handle(Request r) {
        if (r.session().open()) {
            r.fail(ErrorCode.MALFORMED, "the session already said HELLO (namespace " + r.session().namespace.modelId()
                    + "); open another connection for another namespace");
            return;
        }
        Hello h = Hello.read(r.body(), r.sc.limits());
        if (h.maxVersion() < 1) {
            r.fail(ErrorCode.UNSUPPORTED_VERSION, "client speaks up to version " + h.maxVersion()
                    + "; supported versions: [1]");
            return;
        }
        ErrorCode auth = r.sc.auth().check(h.token(), h.namespace());
        if (auth == ErrorCode.AUTH_FAILED) {
            r.fail(auth, "unknown auth token");
            return;
        }
        if (auth == ErrorCode.NAMESPACE_DENIED) {
            r.fail(auth, "the token may not use tenant '" + h.namespace().tenant() + "'");
            return;
        }
        Session s = r.session();
        r.sc.quotas().register(h.namespace(), r.sc.store());
        s.namespace = h.namespace();
        s.namespaceId = h.namespace().id();
        s.version = Math.min(h.maxVersion(), FrameDescriptor.VERSION);
        s.shmOffered = (h.features() & Hello.FEATURE_SHM) != 0 && r.sc.shm() != null
                && (s.unixPeer || r.ctx().channel().remoteAddress() instanceof InetSocketAddress a
                        && a.getAddress().isLoopbackAddress())
                && r.sc.auth().mayReadEveryTenant(h.token());
        s.serverChecksum = (h.features() & Hello.FEATURE_SERVER_CHECKSUM) != 0;
        ByteBuf out = r.ctx().alloc().buffer(64);
        new HelloReply(s.version, s.namespaceId, r.sc.limits().maxFrameBytes(), r.sc.limits().maxKeysPerRequest(),
                r.sc.tierNames(), s.shmOffered ? r.sc.shm().directory().toString() : "",
                (s.serverChecksum ? Hello.FEATURE_SERVER_CHECKSUM : 0)
                        | (r.sc.events() != null ? HelloReply.FEATURE_KV_EVENTS : 0) | HelloReply.FEATURE_HYBRID_LOOKUP,
                r.sc.adminPort().get()).write(out);
        r.reply(out);
    }
}
