package io.kvstore.bench.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Reads kv-cache-tester agent sessions ({@code {"block_size": 64, "requests": [{"t", "in", "hash_ids"}, ...]}}),
 * one file or a directory of them ({@code *.json} / {@code *.json.gz}, read in name order).
 *
 * <h2>Merge</h2>
 * Hash ids are local to a session, so each session gets its own id space. Sessions are merged into one
 * multi-tenant stream: session {@code s} starts at a seeded uniform random offset in {@code [0, spanMillis)}
 * ({@link SplittableRandom} seeded with the given seed, one draw per session in file-name order), each request
 * arrives at that offset plus its {@code t}, and all requests are replayed in arrival order (ties: session, then
 * request order). Requests without {@code hash_ids} are skipped.
 */
public final class KvTesterReader {
    /** Default window in which merged sessions start: one hour. */
    public static final long DEFAULT_SPAN_MILLIS = 3_600_000;

    private KvTesterReader() {
    }

    private record Request(long time, int session, int seq, int input, long[] ids) {
    }

    public static Trace read(Path path, long seed, long spanMillis) throws IOException {
        List<Path> files;
        if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.list(path)) {
                files = s.filter(f -> {
                    String n = f.getFileName().toString();
                    return n.endsWith(".json") || n.endsWith(".json.gz");
                }).sorted().toList();
            }
            if (files.isEmpty()) {
                throw new TraceFormatException(path + ": no *.json or *.json.gz files");
            }
        } else {
            files = List.of(path);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Request> all = new ArrayList<>();
        int blockTokens = -1;
        for (int s = 0; s < files.size(); s++) {
            long offset = files.size() == 1 ? 0 : (long) (rnd.nextDouble() * spanMillis);
            int bt = readSession(files.get(s), s, offset, all);
            if (blockTokens != -1 && bt != blockTokens) {
                throw new TraceFormatException(files.get(s) + ": block_size " + bt + " differs from " + blockTokens);
            }
            blockTokens = bt;
        }
        all.sort(Comparator.comparingLong(Request::time).thenComparingInt(Request::session)
                .thenComparingInt(Request::seq));
        TraceBuilder b = new TraceBuilder(blockTokens);
        for (Request r : all) {
            b.add(r.time, r.session, r.input, r.session, r.ids, r.ids.length);
        }
        String name = files.size() == 1 ? path.getFileName().toString()
                : path.getFileName() + " (" + files.size() + " sessions, seed " + seed + ", span " + spanMillis + " ms)";
        return b.build(name);
    }

    private static int readSession(Path file, int session, long offset, List<Request> out) throws IOException {
        int blockSize = -1;
        int seq = 0;
        try (InputStream in = TraceFiles.open(file); JsonParser p = new JsonFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new TraceFormatException(file + ": not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                p.nextToken();
                if (f.equals("block_size")) {
                    blockSize = p.getIntValue();
                } else if (f.equals("requests")) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        Request r = readRequest(p, file, session, seq, offset);
                        if (r != null) {
                            out.add(r);
                        }
                        seq++;
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new TraceFormatException(file + ": " + e.getOriginalMessage());
        }
        if (blockSize < 1) {
            throw new TraceFormatException(file + ": missing or bad block_size");
        }
        return blockSize;
    }

    private static Request readRequest(JsonParser p, Path file, int session, int seq, long offset)
            throws IOException {
        double t = -1;
        int input = -1;
        long[] ids = null;
        int count = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken tok = p.nextToken();
            switch (f) {
                case "t" -> t = p.getDoubleValue();
                case "in" -> input = p.getIntValue();
                case "hash_ids" -> {
                    if (tok != JsonToken.START_ARRAY) {
                        throw new TraceFormatException(file + ": request " + seq + ": hash_ids is not an array");
                    }
                    ids = new long[64];
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        if (count == ids.length) {
                            ids = Arrays.copyOf(ids, count * 2);
                        }
                        ids[count++] = p.getLongValue();
                    }
                }
                default -> p.skipChildren();
            }
        }
        if (ids == null) {
            return null;
        }
        if (t < 0 || input < 0) {
            throw new TraceFormatException(file + ": request " + seq + ": needs t and in");
        }
        return new Request(offset + Math.round(t * 1000), session, seq, input, Arrays.copyOf(ids, count));
    }
}
