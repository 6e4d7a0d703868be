package io.kvstore.protocol;

/**
 * Limits a peer enforces on what it receives, checked before any allocation that depends on a received length.
 *
 * @param maxFrameBytes   largest frame (header + body) accepted
 * @param maxKeysPerRequest largest key count in LOOKUP, GET, EXISTS, DELETE, PIN, UNPIN, and blocks in one PUT stream
 * @param maxStringBytes  longest UTF-8 string field (namespace fields, token, messages)
 */
public record ProtocolLimits(int maxFrameBytes, int maxKeysPerRequest, int maxStringBytes) {

    /** 64 MiB frames, 4096 keys, 4 KiB strings. */
    public static final ProtocolLimits DEFAULT = new ProtocolLimits(64 << 20, 4096, 4096);

    public ProtocolLimits {
        if (maxFrameBytes < FrameDescriptor.HEADER_BYTES + BlockDescriptor.BYTES) {
            throw new IllegalArgumentException("maxFrameBytes must be >= "
                    + (FrameDescriptor.HEADER_BYTES + BlockDescriptor.BYTES) + ", was " + maxFrameBytes);
        }
        if (maxKeysPerRequest < 1) {
            throw new IllegalArgumentException("maxKeysPerRequest must be >= 1, was " + maxKeysPerRequest);
        }
        if (maxStringBytes < 16 || maxStringBytes > 65535) {
            throw new IllegalArgumentException("maxStringBytes must be in 16..65535, was " + maxStringBytes);
        }
    }

    /** Largest body accepted. */
    public int maxBodyBytes() {
        return maxFrameBytes - FrameDescriptor.HEADER_BYTES;
    }
}
