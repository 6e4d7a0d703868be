package io.kvstore.bench.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a Mooncake trace (JSONL, 512-token blocks, globally unique prefix-chained {@code hash_ids}). Requests keep
 * file order (the order the trace is meant to be replayed in). The trace has no session ids, so each request is
 * its own session.
 */
public final class MooncakeReader {
    /** Tokens per block in the Mooncake release. */
    public static final int BLOCK_TOKENS = 512;

    private MooncakeReader() {
    }

    public static Trace read(Path path) throws IOException {
        TraceBuilder b = new TraceBuilder(BLOCK_TOKENS);
        long[] ids = new long[256];
        int line = 0;
        try (InputStream in = TraceFiles.open(path);
             JsonParser p = new JsonFactory().createParser(in)) {
            while (p.nextToken() == JsonToken.START_OBJECT) {
                line++;
                long ts = -1;
                int input = -1;
                int count = -1;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String f = p.currentName();
                    JsonToken t = p.nextToken();
                    switch (f) {
                        case "timestamp" -> ts = p.getLongValue();
                        case "input_length" -> input = p.getIntValue();
                        case "hash_ids" -> {
                            if (t != JsonToken.START_ARRAY) {
                                throw bad(path, line, "hash_ids is not an array");
                            }
                            count = 0;
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
                if (ts < 0 || input < 0 || count < 0) {
                    throw bad(path, line, "needs timestamp, input_length and hash_ids");
                }
                b.add(ts, line - 1, input, 0, ids, count);
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw bad(path, line, e.getOriginalMessage());
        }
        return b.build(path.getFileName().toString());
    }

    private static TraceFormatException bad(Path path, int line, String why) {
        return new TraceFormatException(path + ": record " + line + ": " + why);
    }
}
