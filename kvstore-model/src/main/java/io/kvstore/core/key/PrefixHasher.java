package io.kvstore.core.key;

import io.kvstore.core.namespace.Namespace;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Chained content hashing of token prefixes (docs/hashing.md):
 * {@code key[0] = SHA-256(root(ns) || tokens[0..B))}, {@code key[i] = SHA-256(key[i-1] || tokens[iB..(i+1)B))},
 * each token a 4-byte big-endian unsigned integer. Only full blocks are hashed; a trailing partial block has
 * no key. Thread-safe: each call uses its own digest.
 */
public final class PrefixHasher {

    private final Namespace namespace;
    private final BlockKey root;
    private final int tokensPerBlock;

    public PrefixHasher(Namespace namespace) {
        this.namespace = namespace;
        this.root = namespace.root();
        this.tokensPerBlock = namespace.tokensPerBlock();
    }

    /** The namespace whose root seeds the chains. */
    public Namespace namespace() {
        return namespace;
    }

    /** The parent of every chain's first block. */
    public BlockKey root() {
        return root;
    }

    /** Number of full blocks in {@code tokenCount} tokens. */
    public int fullBlocks(int tokenCount) {
        return tokenCount / tokensPerBlock;
    }

    /**
     * Keys of all full blocks of {@code tokens}.
     *
     * @throws IllegalArgumentException if a token id is negative (ids are unsigned 31-bit in Java)
     */
    public List<BlockKey> hash(int[] tokens) {
        return hash(tokens, tokens.length);
    }

    /** Keys of the full blocks among the first {@code length} tokens. */
    public List<BlockKey> hash(int[] tokens, int length) {
        if (length < 0 || length > tokens.length) {
            throw new IllegalArgumentException("length " + length + " outside 0.." + tokens.length);
        }
        int blocks = length / tokensPerBlock;
        List<BlockKey> keys = new ArrayList<>(blocks);
        MessageDigest md = sha256();
        byte[] parent = root.toBytes();
        byte[] tokenBytes = new byte[tokensPerBlock * 4];
        byte[] out = new byte[BlockKey.BYTES];
        for (int b = 0; b < blocks; b++) {
            int base = b * tokensPerBlock;
            for (int t = 0; t < tokensPerBlock; t++) {
                int tok = tokens[base + t];
                if (tok < 0) {
                    throw new IllegalArgumentException("token id at " + (base + t) + " is negative: " + tok);
                }
                int o = t * 4;
                tokenBytes[o] = (byte) (tok >>> 24);
                tokenBytes[o + 1] = (byte) (tok >>> 16);
                tokenBytes[o + 2] = (byte) (tok >>> 8);
                tokenBytes[o + 3] = (byte) tok;
            }
            md.update(parent);
            md.update(tokenBytes);
            try {
                md.digest(out, 0, out.length);
            } catch (DigestException e) {
                throw new IllegalStateException(e);
            }
            BlockKey key = BlockKey.of(out);
            keys.add(key);
            parent = out.clone();
        }
        return keys;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
