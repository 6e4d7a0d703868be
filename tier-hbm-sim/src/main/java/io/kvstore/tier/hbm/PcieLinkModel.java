package io.kvstore.tier.hbm;

import java.util.Objects;

/**
 * Cost of moving bytes between host DRAM and HBM: per direction a fixed latency and a bandwidth, so that a
 * transfer of {@code n} bytes takes {@code latency + n / bandwidth}. Immutable.
 *
 * <p>Defaults ({@link #h100PcieGen5x16()}): an H100 PCIe card on a PCIe Gen5 x16 link. The raw link is
 * 32 GT/s x 16 lanes = 64 GB/s per direction; after 128b/130b line coding 63.0 GB/s; after transaction-layer
 * packet overhead (24-byte TLP header and framing per 256-byte max payload, about 91% efficiency) about 57 GB/s.
 * Measured pinned-memory copies on Gen5 x16 GPUs reach 50-55 GB/s, so the default is 55 GB/s (10^9 bytes) in
 * each direction, and a fixed 5 microseconds per transfer for driver call, DMA descriptor setup and completion
 * (small {@code cudaMemcpyAsync} calls cost a few microseconds). See docs/tiers.md.
 *
 * @param h2dBytesPerSecond host-to-device bandwidth in bytes per second
 * @param d2hBytesPerSecond device-to-host bandwidth in bytes per second
 * @param h2dLatencyNanos   fixed cost of one host-to-device transfer
 * @param d2hLatencyNanos   fixed cost of one device-to-host transfer
 */
public record PcieLinkModel(double h2dBytesPerSecond, double d2hBytesPerSecond, long h2dLatencyNanos,
                            long d2hLatencyNanos) {

    /** Default effective bandwidth per direction of PCIe Gen5 x16, bytes per second. */
    public static final double GEN5_X16_BYTES_PER_SECOND = 55e9;
    /** Default fixed cost per transfer. */
    public static final long DEFAULT_LATENCY_NANOS = 5_000;

    public PcieLinkModel {
        if (!(h2dBytesPerSecond > 0) || !(d2hBytesPerSecond > 0) || Double.isInfinite(h2dBytesPerSecond)
                || Double.isInfinite(d2hBytesPerSecond)) {
            throw new IllegalArgumentException("bandwidths must be positive and finite: h2d=" + h2dBytesPerSecond
                    + " d2h=" + d2hBytesPerSecond);
        }
        if (h2dLatencyNanos < 0 || d2hLatencyNanos < 0) {
            throw new IllegalArgumentException("latencies must be >= 0: h2d=" + h2dLatencyNanos + " d2h="
                    + d2hLatencyNanos);
        }
    }

    /** H100 PCIe on Gen5 x16: 55 GB/s and 5 us per transfer in each direction. */
    public static PcieLinkModel h100PcieGen5x16() {
        return new PcieLinkModel(GEN5_X16_BYTES_PER_SECOND, GEN5_X16_BYTES_PER_SECOND, DEFAULT_LATENCY_NANOS,
                DEFAULT_LATENCY_NANOS);
    }

    /** Bandwidth of one direction, bytes per second. */
    public double bytesPerSecond(TransferDirection d) {
        return Objects.requireNonNull(d) == TransferDirection.HOST_TO_DEVICE ? h2dBytesPerSecond : d2hBytesPerSecond;
    }

    /** Fixed cost of one transfer in one direction. */
    public long latencyNanos(TransferDirection d) {
        return Objects.requireNonNull(d) == TransferDirection.HOST_TO_DEVICE ? h2dLatencyNanos : d2hLatencyNanos;
    }

    /** Time the link is busy moving {@code bytes} (bandwidth term only). */
    public long wireNanos(TransferDirection d, long bytes) {
        return (long) Math.ceil(bytes * 1e9 / bytesPerSecond(d));
    }

    /** Modelled duration of one transfer of {@code bytes}: latency plus the bandwidth term. */
    public long transferNanos(TransferDirection d, long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
        }
        return latencyNanos(d) + wireNanos(d, bytes);
    }
}
