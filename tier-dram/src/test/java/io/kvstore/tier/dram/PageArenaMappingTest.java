package io.kvstore.tier.dram;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A file-backed arena enters all its pages into the process's page tables when it opens (so that a PUT into a fresh
 * arena takes no page fault inside the socket's receive copy), and that background work never outlives the arena's
 * memory.
 */
@Timeout(60)
class PageArenaMappingTest {

    private static final Path SMAPS = Path.of("/proc/self/smaps");
    /** The first line of a mapping in smaps: its address range (the attribute lines start with a capital). */
    private static final Pattern MAPPING = Pattern.compile("[0-9a-f]+-[0-9a-f]+ ");

    @TempDir
    Path dir;

    @Test
    void everyPageOfAMappedArenaIsResidentInThisProcessSoonAfterItOpens() throws Exception {
        assumeTrue(Files.isReadable(SMAPS), "needs /proc/self/smaps (Linux)");
        DramTierConfig cfg = DramTierConfig.of("dram", 32L << 20);
        try (PageArena arena = PageArena.mapped(cfg, dir)) {
            assertThat(arena.awaitPagesMapped(30_000)).isTrue();
            long rssKb = residentKb(PageArena.segmentFile(dir, 0));
            assertThat(rssKb).as("resident kB of the mapped segment").isGreaterThanOrEqualTo((32L << 20) / 1024);
        }
    }

    @Test
    void anArenaClosedWhileItsPagesAreBeingMappedLetsGoOfItsMemoryOnceTheMappingStops() throws Exception {
        DramTierConfig cfg = DramTierConfig.of("dram", 64L << 20);
        PageArena arena = PageArena.mapped(cfg, dir);
        arena.close();
        assertThat(arena.awaitPagesMapped(30_000)).isTrue();
        assertThat(arena.outstandingPins()).isZero();
        assertThat(arena.pin()).as("a closed arena takes no new pin").isFalse();
    }

    @Test
    void anAnonymousArenaHasNothingToMap() throws Exception {
        try (PageArena arena = PageArena.anonymous(DramTierConfig.of("dram", 4L << 20))) {
            assertThat(arena.awaitPagesMapped(0)).isTrue();
        }
    }

    /** The Rss of this process's mapping of {@code file}, in kB (summed over its mappings). */
    private static long residentKb(Path file) throws IOException {
        List<String> lines = Files.readAllLines(SMAPS);
        String name = file.toRealPath().toString();
        long kb = 0;
        boolean inside = false;
        for (String line : lines) {
            if (MAPPING.matcher(line).lookingAt()) {
                inside = line.endsWith(name);
            } else if (inside && line.startsWith("Rss:")) {
                kb += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return kb;
    }
}
