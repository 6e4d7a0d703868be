package io.kvstore.bench.sim;

import io.kvstore.bench.trace.KvTesterReader;
import io.kvstore.bench.trace.MooncakeReader;
import io.kvstore.bench.trace.Trace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins issue 17's routing acceptance on the real traces ({@link TestTraces}: skipped when they are absent): 8 nodes
 * at 1% of the trace's unique blocks each, {@code prefix-load} against {@code random} and {@code prefix-affinity}.
 * The whole Mooncake trace (a few seconds per router), and a slice of the WEKA sessions (the first 25, over the
 * default hour) standing in for the 200 of docs/routing.md, whose replays take minutes.
 */
@Timeout(300)
class RoutingAcceptanceTest {

    private static final ClusterReplayer.Routing[] ROUTERS = {ClusterReplayer.Routing.RANDOM,
        ClusterReplayer.Routing.PREFIX_AFFINITY, ClusterReplayer.Routing.PREFIX_LOAD};

    private static ClusterReplayer.Result[] replay(Trace trace) {
        long perNode = Capacity.parse("1%").toBlocks(trace.uniqueBlocks(), 1);
        ClusterReplayer.Result[] r = new ClusterReplayer.Result[ROUTERS.length];
        for (int i = 0; i < ROUTERS.length; i++) {
            r[i] = new ClusterReplayer(trace).run(8, ROUTERS[i], "lru", perNode, 0, 0, 42);
        }
        return r;
    }

    /** prefix-load holds at least {@code overRandom} x random's and prefix-affinity's hit ratio, evenly, faster. */
    private static void assertPrefixLoadWins(ClusterReplayer.Result[] r, double overRandom) {
        ClusterReplayer.Result random = r[0];
        ClusterReplayer.Result affinity = r[1];
        ClusterReplayer.Result load = r[2];
        assertThat(load.hitRatioBlocks()).as("prefix-load vs %s x random", overRandom)
                .isGreaterThanOrEqualTo(overRandom * random.hitRatioBlocks());
        assertThat(load.hitRatioBlocks()).as("prefix-load vs prefix-affinity")
                .isGreaterThanOrEqualTo(affinity.hitRatioBlocks());
        assertThat(load.maxOverMeanLoad()).as("prefix-load's max/mean node load").isLessThanOrEqualTo(1.15);
        assertThat(load.nodesUsed()).isEqualTo(8);
        assertThat(load.meanTtftSeconds()).as("prefix-load's mean TTFT")
                .isLessThan(random.meanTtftSeconds()).isLessThan(affinity.meanTtftSeconds());
    }

    @Test
    void mooncakeConversation() throws Exception {
        ClusterReplayer.Result[] r = replay(MooncakeReader.read(
                TestTraces.require("mooncake/conversation_trace.jsonl.gz")));
        assertPrefixLoadWins(r, 3);
        // the figures of docs/routing.md, to the 4th digit: the replay is deterministic
        assertThat(r[2].hitRatioBlocks()).isBetween(0.2488, 0.2490);
        assertThat(r[0].hitRatioBlocks()).isBetween(0.0732, 0.0734);
    }

    @Test
    void wekaSessionsSlice(@TempDir Path slice) throws Exception {
        Path all = TestTraces.require("weka-claude-code");
        try (Stream<Path> files = Files.list(all)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("trace_")).sorted().limit(25)
                    .toList()) {
                Files.createSymbolicLink(slice.resolve(f.getFileName()), f.toAbsolutePath());
            }
        }
        Trace trace = KvTesterReader.read(slice, 42, KvTesterReader.DEFAULT_SPAN_MILLIS);
        assertThat(trace.sessions()).isEqualTo(25);
        // with 25 sessions a node's 1% is a few contexts, so every router keeps less; prefix-load still keeps
        // more than 2.5x random's (the 3x of the issue is for the 200 sessions, docs/routing.md)
        assertPrefixLoadWins(replay(trace), 2.5);
    }
}
