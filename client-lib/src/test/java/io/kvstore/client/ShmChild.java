package io.kvstore.client;

import io.kvstore.core.key.PrefixHasher;

import java.util.List;

/**
 * A child JVM for {@link ShmClientServerTest}: reads a prefix through shared memory, keeps the blocks (and so
 * the lease) open, prints {@code HOLDING n} and waits to be killed.
 */
public final class ShmChild {

    private ShmChild() {
    }

    public static void main(String[] args) throws Exception {
        KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", Integer.parseInt(args[0])));
        int[] tokens = ClientServerTest.tokens(4, Long.parseLong(args[1]));
        List<ReceivedBlock> held = c.getBlocks(ClientServerTest.NS, new PrefixHasher(ClientServerTest.NS).hash(tokens));
        System.out.println("HOLDING " + held.size());
        System.out.flush();
        Thread.sleep(120_000);
        held.forEach(ReceivedBlock::close);
        c.close();
    }
}
