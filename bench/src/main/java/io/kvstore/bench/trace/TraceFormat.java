package io.kvstore.bench.trace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The trace formats the simulator reads, each with its loader. Files may be gzipped ({@code .gz}) or not.
 */
public enum TraceFormat {
    /** Mooncake JSONL: one request per line with {@code timestamp}, {@code input_length}, {@code hash_ids}. */
    MOONCAKE,
    /**
     * kv-cache-tester JSON: one agent session per file with {@code block_size} and {@code requests}; a directory of
     * such files is one trace, merged as {@link KvTesterReader} describes.
     */
    KVTESTER;

    /** Parses a format name ({@code mooncake}, {@code kvtester}), case-insensitive. */
    public static TraceFormat parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown trace format '" + s + "'; known: mooncake, kvtester", e);
        }
    }

    /** Guesses the format: a directory or a {@code .json[.gz]} file is kv-cache-tester, {@code .jsonl} Mooncake. */
    public static TraceFormat detect(Path path) {
        String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isDirectory(path) || n.endsWith(".json") || n.endsWith(".json.gz")) {
            return KVTESTER;
        }
        return MOONCAKE;
    }

    /**
     * Loads a trace.
     *
     * @param seed seeds the arrival offsets when several sessions are merged
     * @throws IOException on I/O errors
     * @throws TraceFormatException on malformed input, naming the file and the record
     */
    public Trace load(Path path, long seed) throws IOException {
        return switch (this) {
            case MOONCAKE -> MooncakeReader.read(path);
            case KVTESTER -> KvTesterReader.read(path, seed, KvTesterReader.DEFAULT_SPAN_MILLIS);
        };
    }
}
