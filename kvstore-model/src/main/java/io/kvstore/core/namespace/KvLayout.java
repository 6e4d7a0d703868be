package io.kvstore.core.namespace;

import java.util.Objects;

/**
 * The shape of a block's KV tensors. Two caches with different layouts can never share blocks.
 *
 * @param dtype          element type, e.g. {@code "bf16"}, {@code "fp16"}, {@code "fp8_e4m3"}
 * @param layers         transformer layers
 * @param kvHeads        key/value heads per layer
 * @param headDim        dimension of one head
 * @param tokensPerBlock tokens in one block (the hashing granularity)
 */
public record KvLayout(String dtype, int layers, int kvHeads, int headDim, int tokensPerBlock) {

    public KvLayout {
        Objects.requireNonNull(dtype, "dtype");
        if (dtype.isBlank()) {
            throw new IllegalArgumentException("dtype must not be blank");
        }
        positive("layers", layers);
        positive("kvHeads", kvHeads);
        positive("headDim", headDim);
        positive("tokensPerBlock", tokensPerBlock);
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, was " + v);
        }
    }

    /** Bytes per element of {@link #dtype()}: 1 for fp8/int8, 4 for fp32, otherwise 2. */
    public int bytesPerElement() {
        String d = dtype.toLowerCase(java.util.Locale.ROOT);
        if (d.startsWith("fp8") || d.equals("int8") || d.equals("uint8")) {
            return 1;
        }
        if (d.equals("fp32") || d.equals("float32")) {
            return 4;
        }
        return 2;
    }

    /** Bytes of one block's K and V tensors over all layers: 2 x layers x kvHeads x headDim x tokens x dtype. */
    public long blockBytes() {
        return 2L * layers * kvHeads * headDim * tokensPerBlock * bytesPerElement();
    }

    /** Llama-3-8B in bf16 with 16-token blocks: 32 layers, 8 KV heads of 128; 2 MiB per block. */
    public static KvLayout llama3_8b(int tokensPerBlock) {
        return new KvLayout("bf16", 32, 8, 128, tokensPerBlock);
    }
}
