package io.kvstore.bench.nvme;

import io.kvstore.tier.nvme.Codec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Ratio and speed of each {@link Codec} on each kind of {@link KvPayloads}: encodes and decodes
 * {@code blocks} blocks of {@code blockBytes}, {@code rounds} times, single-threaded, and reports the median
 * round. Speeds are in GB/s (10^9 bytes per second) of payload (uncompressed) bytes: encode over every block
 * (including attempts that did not pay and fell back to {@link Codec#NONE}), decode over the blocks kept encoded
 * (the others are not decoded on read).
 */
public final class CodecBench {

    /** One codec on one kind of data. */
    public record Row(String data, String codec, double ratio, double encodeGbps, double decodeGbps,
                      int blocksKeptEncoded, int blocks) {
        /** As a JSON-friendly map. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("data", data);
            m.put("codec", codec);
            m.put("ratio", ratio);
            m.put("encode_gbps", encodeGbps);
            m.put("decode_gbps", Double.isNaN(decodeGbps) ? null : decodeGbps); // null: no block kept encoded
            m.put("blocks_kept_encoded", blocksKeptEncoded);
            m.put("blocks", blocks);
            return m;
        }
    }

    private CodecBench() {
    }

    /** Runs every codec over every payload kind. */
    public static List<Row> run(int blockBytes, int blocks, int rounds) {
        List<Row> rows = new ArrayList<>();
        for (KvPayloads kind : KvPayloads.values()) {
            ByteBuffer[] data = new ByteBuffer[blocks];
            for (int i = 0; i < blocks; i++) {
                data[i] = kind.generate(i + 1, blockBytes);
            }
            for (Codec c : Codec.values()) {
                rows.add(measure(kind.name().toLowerCase(), c, data, blockBytes, rounds));
            }
        }
        return rows;
    }

    private static Row measure(String kind, Codec codec, ByteBuffer[] data, int blockBytes, int rounds) {
        ByteBuffer[] enc = new ByteBuffer[data.length];
        for (int i = 0; i < enc.length; i++) {
            enc[i] = ByteBuffer.allocateDirect(Math.max(blockBytes, codec.maxEncodedLength(blockBytes)));
        }
        int[] len = new int[data.length];
        double[] encS = new double[rounds];
        double[] decS = new double[rounds];
        long sink = 0;
        for (int r = 0; r < rounds + 1; r++) { // round 0 warms up
            long t0 = System.nanoTime();
            for (int i = 0; i < data.length; i++) {
                len[i] = codec.encode(data[i], enc[i], 0);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < data.length; i++) {
                if (len[i] >= 0 && codec != Codec.NONE) {
                    sink += codec.decode(enc[i], 0, len[i], blockBytes)[i % blockBytes];
                }
            }
            long t2 = System.nanoTime();
            if (r > 0) {
                encS[r - 1] = (t1 - t0) / 1e9;
                decS[r - 1] = (t2 - t1) / 1e9;
            }
        }
        long stored = 0;
        int kept = 0;
        for (int l : len) {
            stored += l >= 0 ? l : blockBytes;
            kept += l >= 0 && codec != Codec.NONE ? 1 : 0;
        }
        double bytes = (double) data.length * blockBytes;
        if (sink == 42) {
            System.out.print("");
        }
        double decodedBytes = (double) kept * blockBytes; // blocks stored as is are not decoded on read
        double decode = kept == 0 ? Double.NaN : decodedBytes / median(decS) / 1e9;
        return new Row(kind, codec.name().toLowerCase(), bytes / stored, bytes / median(encS) / 1e9, decode, kept,
                data.length);
    }

    static double median(double[] v) {
        return io.kvstore.bench.Medians.of(v);
    }
}
