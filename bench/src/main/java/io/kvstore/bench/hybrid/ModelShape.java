package io.kvstore.bench.hybrid;

import java.util.Locale;

/**
 * The shape of a model as far as a prefix cache cares: what one block of attention KV weighs, what one recurrent
 * state snapshot weighs, and what prefilling a prefix costs. A Transformer has only attention layers (no snapshot);
 * a hybrid interleaves a few attention layers with recurrent (Mamba) layers whose state is updated in place, so a
 * prefix can be resumed only from a snapshot taken exactly at its end.
 *
 * <p>Prefill FLOPs of the first {@code L} tokens: {@code 2 N L + 2 A d L^2}, the weights' multiply-adds over every
 * token ({@code N} active parameters) plus the attention scores and values of each of the {@code A} attention
 * layers against all earlier tokens ({@code 4 d p} FLOPs for the token at position {@code p}, summed). Recurrent
 * layers are linear in {@code L} and are inside {@code N}. Immutable.
 *
 * @param name                   preset name
 * @param attentionLayers        layers with full attention (their KV is stored per block)
 * @param kvHeads                KV heads per attention layer
 * @param headDim                dimension of one head
 * @param dtypeBytes             bytes per KV and state element (2 for bf16)
 * @param stateLayers            recurrent layers (0 for a Transformer)
 * @param stateElementsPerLayer  elements of one recurrent layer's state (SSM state plus convolution state)
 * @param activeParams           parameters active per token
 * @param hiddenSize             model dimension (query heads x head dim) for the attention FLOPs
 * @param prefillFlopsPerSecond  effective GPU prefill throughput (an assumption)
 */
public record ModelShape(String name, int attentionLayers, int kvHeads, int headDim, int dtypeBytes, int stateLayers,
                         long stateElementsPerLayer, double activeParams, int hiddenSize,
                         double prefillFlopsPerSecond) {

    /**
     * Effective prefill FLOP/s of the GPU the presets assume: the simulator's Llama-3-8B preset prefills 12,000
     * tokens/s, which is 16 GFLOP per token, about 192 TFLOP/s (an H100 at ~20% of its dense bf16 peak).
     */
    public static final double GPU_PREFILL_FLOPS = 12_000 * 2 * 8.0e9;

    /** Llama-3.1-8B-like: 32 attention layers, 8 KV heads of 128, bf16, 8 B parameters. */
    public static final ModelShape LLAMA3_8B = new ModelShape("llama3-8b", 32, 8, 128, 2, 0, 0, 8.0e9, 4096,
            GPU_PREFILL_FLOPS);

    /**
     * Shaped like AI21's Jamba 1.5 Mini: 32 layers, one attention layer in eight (4 attention : 28 Mamba), 8 KV heads
     * of 128, hidden size 4096, Mamba with inner size 8192 (expand 2), state size 16 and convolution width 4, so one
     * layer's state is {@code 8192 x 16 + 8192 x 3} elements; 12 B active parameters (52 B in all, mixture of
     * experts); everything in bf16.
     */
    public static final ModelShape JAMBA_15_MINI = new ModelShape("jamba-1.5-mini", 4, 8, 128, 2, 28,
            8192L * 16 + 8192L * 3, 12.0e9, 4096, GPU_PREFILL_FLOPS);

    /** The presets by name. */
    public static ModelShape parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "llama3-8b", "llama3.1-8b", "llama-3.1-8b" -> LLAMA3_8B;
            case "jamba-1.5-mini", "jamba1.5-mini" -> JAMBA_15_MINI;
            default -> throw new IllegalArgumentException("unknown model '" + s + "'; known: llama3-8b, jamba-1.5-mini");
        };
    }

    /** True if {@code s} names a preset of this class. */
    public static boolean isPreset(String s) {
        try {
            parse(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** True if the model has recurrent layers, so that a resume point needs a state snapshot. */
    public boolean hybrid() {
        return stateLayers > 0;
    }

    /** Attention KV bytes of one token: 2 (K and V) x attention layers x KV heads x head dim x dtype bytes. */
    public long kvBytesPerToken() {
        return 2L * attentionLayers * kvHeads * headDim * dtypeBytes;
    }

    /** Attention KV bytes of one block of {@code tokens} tokens. */
    public long blockBytes(int tokens) {
        return kvBytesPerToken() * tokens;
    }

    /** Bytes of one recurrent state snapshot (0 for a Transformer): the same at any prefix length. */
    public long snapshotBytes() {
        return stateLayers * stateElementsPerLayer * dtypeBytes;
    }

    /** Prefill FLOPs of the first {@code tokens} tokens of a prompt. */
    public double prefillFlops(long tokens) {
        double l = tokens;
        return 2 * activeParams * l + 2.0 * attentionLayers * hiddenSize * l * l;
    }
}
