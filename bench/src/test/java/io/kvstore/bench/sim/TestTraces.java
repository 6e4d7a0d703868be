package io.kvstore.bench.sim;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Finds the real traces, which are not in the repository: in {@code -Dkvstore.traces=DIR} if set, else in the
 * checkout's {@code traces/} (docs/traces.md), else in the build machine's shared copy. A test that needs one is
 * skipped when it is absent.
 */
final class TestTraces {

    private TestTraces() {
    }

    /** The path {@code relative} (e.g. {@code mooncake/conversation_trace.jsonl.gz}) in the first place that has it. */
    static Path require(String relative) {
        String set = System.getProperty("kvstore.traces");
        // the checkout's traces/ (docs/traces.md), then the shared copy of the build machine (beside the main
        // checkout, or at its absolute place for a worktree)
        List<Path> dirs = set != null ? List.of(Path.of(set))
                : List.of(Path.of("../traces"), Path.of("../../shared/traces"), Path.of("/work/shared/traces"));
        for (Path dir : dirs) {
            Path p = dir.resolve(relative);
            if (Files.exists(p)) {
                return p;
            }
        }
        assumeTrue(false, relative + " not found (looked in " + dirs
                + "); fetch it (docs/traces.md) or set -Dkvstore.traces=DIR to run this test");
        throw new AssertionError("unreachable");
    }
}
