package io.kvstore.cli;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.PutAck;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.body.PutCode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The known blocks kvctl's tests and docs/cli.md use, stored through the Java client like an engine would: chain
 * A (4 blocks), then chain B (8 of its 9 full blocks), 256 KiB each, in namespace {@link #NS_SPEC}; then GETs of
 * B's blocks 4-7 and once more of 7. On a daemon with a 1 MiB DRAM tier over a 1 MiB NVMe tier, B demotes A to
 * NVMe and then evicts it; B ends with blocks 0-3 in NVMe and 4-7 in DRAM.
 *
 * <p>{@code main(HOST:PORT, TOKENS_FILE)} loads a running daemon and writes B's token ids to the file.
 */
final class DemoLoad {

    static final String NS_SPEC = "model=test-model,layout=bf16:2:2:64:16,tenant=acme";
    static final Namespace NS = new Namespace("test-model", new KvLayout("bf16", 2, 2, 64, 16), "acme", "", "");
    static final int BLOCK = 256 << 10;

    /** The two chains' tokens and keys. */
    record Loaded(int[] tokensA, int[] tokensB, List<BlockKey> chainA, List<BlockKey> chainB) {
    }

    private DemoLoad() {
    }

    static Loaded load(String host, int port) {
        int[] a = tokens(4, 1);
        int[] b = tokens(9, 2);
        try (KvStoreClient c = KvStoreClient.create(ClientOptions.of(host, port))) {
            check(c.putBlocks(NS, BlockPayload.chain(NS, a, payloads(4, 1))));
            check(c.putBlocks(NS, BlockPayload.chain(NS, b, payloads(8, 2))));
            List<BlockKey> chainB = new PrefixHasher(NS).hash(b);
            c.getBlocks(NS, chainB.subList(4, 8)).forEach(ReceivedBlock::close);
            c.getBlocks(NS, chainB.subList(7, 8)).forEach(ReceivedBlock::close);
            return new Loaded(a, b, new PrefixHasher(NS).hash(a), chainB);
        }
    }

    private static void check(PutAck ack) {
        if (!ack.statuses().stream().allMatch(s -> s == PutCode.STORED || s == PutCode.ALREADY_PRESENT)) {
            throw new IllegalStateException("not all stored: " + ack.statuses());
        }
    }

    /** {@code blocks} full blocks of random token ids. */
    static int[] tokens(int blocks, long seed) {
        return new SplittableRandom(seed).ints(blocks * 16L, 0, 1 << 17).toArray();
    }

    /** {@code n} random payloads of {@link #BLOCK} bytes. */
    static List<ByteBuffer> payloads(int n, long seed) {
        return IntStream.range(0, n).mapToObj(i -> {
            byte[] b = new byte[BLOCK];
            new SplittableRandom(seed * 1000 + i).nextBytes(b);
            return ByteBuffer.wrap(b);
        }).toList();
    }

    static void writeTokens(int[] tokens, Path file) throws IOException {
        Files.writeString(file, Arrays.stream(tokens).mapToObj(Integer::toString).collect(Collectors.joining(" "))
                + "\n");
    }

    public static void main(String[] args) throws IOException {
        HostPort hp = HostPort.parse(args.length > 0 ? args[0] : "127.0.0.1:7379", KvctlMain.DEFAULT_SERVER);
        Loaded l = load(hp.host(), hp.port());
        Path file = Path.of(args.length > 1 ? args[1] : "prompt.tokens");
        writeTokens(l.tokensB(), file);
        System.out.println("stored chain A " + l.chainA().get(0).toHex() + " (4 blocks) and chain B "
                + l.chainB().get(0).toHex() + " (8 blocks); B's tokens in " + file);
    }
}
