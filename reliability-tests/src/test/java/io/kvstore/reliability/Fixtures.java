package io.kvstore.reliability;

import io.kvstore.client.BlockPayload;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Shared namespaces and deterministic block chains for the reliability tests. */
final class Fixtures {

    static final KvLayout LAYOUT = new KvLayout("bf16", 2, 2, 64, 16);
    static final Namespace ACME = new Namespace("model", LAYOUT, "acme", "", "");
    static final Namespace GLOBEX = new Namespace("model", LAYOUT, "globex", "", "");

    private Fixtures() {
    }

    /** Tokens for {@code blocks} full blocks of 16 tokens, from {@code seed}. */
    static int[] tokens(int blocks, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[blocks * 16];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextInt(1 << 17);
        }
        return t;
    }

    /** A chain of {@code blocks} blocks of {@code bytes} random bytes each in {@code ns}. */
    static List<BlockPayload> chain(Namespace ns, int blocks, int bytes, long seed) {
        List<ByteBuffer> payloads = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (int i = 0; i < blocks; i++) {
            byte[] b = new byte[bytes];
            r.nextBytes(b);
            payloads.add(ByteBuffer.wrap(b));
        }
        // checksums computed now: the tests keep them to compare with what comes back
        return BlockPayload.chain(ns, tokens(blocks, seed), payloads).stream().map(BlockPayload::checksummed).toList();
    }
}
