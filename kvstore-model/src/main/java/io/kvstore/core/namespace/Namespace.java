package io.kvstore.core.namespace;

import io.kvstore.core.key.BlockKey;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * What makes two caches incompatible or private: the model, the KV layout, the tenant and its cache salt,
 * and the LoRA adapter. Blocks are never shared across namespaces.
 *
 * <p>The namespace's {@link #root() root} is the SHA-256 of a canonical byte encoding (docs/hashing.md) and
 * seeds the chain of block keys; its {@link #id() id} is the root's first 8 bytes, the compact form stored
 * with every block.
 *
 * @param modelId   model identifier, e.g. {@code "meta-llama/Llama-3.1-8B"}
 * @param layout    KV layout
 * @param tenant    tenant name; empty for a single-tenant cache
 * @param cacheSalt a secret or per-user salt that keeps caches apart; empty for none
 * @param loraId    LoRA adapter id; empty for the base model
 */
public record Namespace(String modelId, KvLayout layout, String tenant, String cacheSalt, String loraId) {

    /** Domain tag that starts the canonical encoding. */
    public static final String ENCODING_TAG = "kvstore-namespace-v1";

    public Namespace {
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(layout, "layout");
        if (modelId.isBlank()) {
            throw new IllegalArgumentException("modelId must not be blank");
        }
        tenant = tenant == null ? "" : tenant;
        cacheSalt = cacheSalt == null ? "" : cacheSalt;
        loraId = loraId == null ? "" : loraId;
    }

    /** A namespace without tenant, salt or LoRA. */
    public static Namespace of(String modelId, KvLayout layout) {
        return new Namespace(modelId, layout, "", "", "");
    }

    /** Tokens per block of this namespace's layout. */
    public int tokensPerBlock() {
        return layout.tokensPerBlock();
    }

    /**
     * The canonical encoding: the tag, then each field as a length-prefixed UTF-8 string or a 4-byte big-endian
     * integer, in the order given in docs/hashing.md.
     */
    public byte[] canonicalEncoding() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        writeString(out, ENCODING_TAG);
        writeString(out, modelId);
        writeString(out, layout.dtype());
        writeInt(out, layout.layers());
        writeInt(out, layout.kvHeads());
        writeInt(out, layout.headDim());
        writeInt(out, layout.tokensPerBlock());
        writeString(out, tenant);
        writeString(out, cacheSalt);
        writeString(out, loraId);
        return out.toByteArray();
    }

    /** SHA-256 of the canonical encoding: the parent of every chain's first block. */
    public BlockKey root() {
        return BlockKey.of(sha256().digest(canonicalEncoding()));
    }

    /** The first 8 bytes of {@link #root()}, big-endian: the id stored with each block. */
    public long id() {
        return root().prefixLong();
    }

    /**
     * A layout id: the first 4 bytes of the SHA-256 of the layout fields alone, so that blocks of one
     * layout can be recognised across models.
     */
    public int layoutId() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        writeString(out, layout.dtype());
        writeInt(out, layout.layers());
        writeInt(out, layout.kvHeads());
        writeInt(out, layout.headDim());
        writeInt(out, layout.tokensPerBlock());
        return ByteBuffer.wrap(sha256().digest(out.toByteArray())).getInt();
    }

    /** The namespace id as 16 hex digits. */
    public String idHex() {
        return java.util.HexFormat.of().toHexDigits(id());
    }

    private static void writeString(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        writeInt(out, b.length);
        out.writeBytes(b);
    }

    private static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
