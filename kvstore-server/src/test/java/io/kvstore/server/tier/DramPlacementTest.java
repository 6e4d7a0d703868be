package io.kvstore.server.tier;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kvstore.core.testing.Blocks;
import io.kvstore.core.tier.PutOutcome;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.config.ServerConfig;
import io.kvstore.tier.dram.DramTier;
import io.kvstore.tier.dram.DramTierConfig;
import io.kvstore.tier.dram.DramTierInUseException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where the server puts the DRAM arena, with the shm root pointed at a temp dir (nothing lands in /dev/shm). */
@Timeout(60)
class DramPlacementTest {

    @TempDir
    Path tmp;

    private Path savedRoot;
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeEach
    void setUp() throws IOException {
        savedRoot = DramPlacement.shmRoot;
        DramPlacement.shmRoot = Files.createDirectory(tmp.resolve("shm"));
        log.start();
        ((Logger) LoggerFactory.getLogger(DramPlacement.class)).addAppender(log);
    }

    @AfterEach
    void tearDown() {
        DramPlacement.shmRoot = savedRoot;
        ((Logger) LoggerFactory.getLogger(DramPlacement.class)).detachAppender(log);
    }

    private ServerConfig config(Path dataDir, String... settings) throws IOException {
        Files.createDirectories(dataDir);
        ConfigLoader l = ConfigLoader.builder().flag("dataDir", dataDir).assignment("dramCapacityBytes=1MiB");
        for (String s : settings) {
            l.assignment(s);
        }
        return l.load();
    }

    private static DramTier open(ServerConfig c) {
        return DramPlacement.open(c, DramTierConfig.of("dram", c.dramCapacityBytes()));
    }

    private List<String> messages() {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void byDefaultTheArenaIsUnderTheShmRootPerDataDirAndSurvivesAReopen() throws IOException {
        ServerConfig c = config(tmp.resolve("data"));
        Path expected = DramPlacement.shmRoot.resolve("kvstore-" + DramPlacement.uid())
                .resolve(DramPlacement.hash(c.dataDir()));
        try (DramTier t = open(c)) {
            assertThat(t.config().persistDirectory()).isEqualTo(expected);
            assertThat(t.put(Blocks.meta(1, 4096), Blocks.payload(1, 4096))).isEqualTo(PutOutcome.STORED);
        }
        assertThat(Files.readAllLines(expected.resolve(DramTier.OWNER_FILE))).containsExactly(
                c.dataDir().toAbsolutePath().toString(),
                Files.readString(c.dataDir().resolve(DramPlacement.DATA_DIR_ID_FILE)).trim());
        assertThat(Files.getPosixFilePermissions(expected.getParent()).toString()).doesNotContain("GROUP", "OTHERS");
        try (DramTier t = open(c)) {
            assertThat(t.blockCount()).isEqualTo(1);
        }
        assertThat(messages()).last().asString().contains("arena in " + expected).contains("1 blocks found");
        // another data dir, another arena
        try (DramTier t = open(config(tmp.resolve("data2")))) {
            assertThat(t.config().persistDirectory()).isNotEqualTo(expected);
            assertThat(t.blockCount()).isZero();
        }
    }

    @Test
    void aDataDirDeletedAndMadeAgainAtTheSamePathStartsWithAColdArena() throws IOException {
        Path data = tmp.resolve("data");
        try (DramTier t = open(config(data))) {
            assertThat(t.put(Blocks.meta(1, 4096), Blocks.payload(1, 4096))).isEqualTo(PutOutcome.STORED);
        }
        try (DramTier t = open(config(data))) {
            assertThat(t.blockCount()).as("a restart on the same data dir keeps the arena").isEqualTo(1);
        }
        deleteTree(data); // the operator wipes the data dir and starts again at the same path
        try (DramTier t = open(config(data))) {
            assertThat(t.blockCount()).as("the old data dir's blocks are not served to the new one").isZero();
        }
        assertThat(messages()).anySatisfy(m -> assertThat(m).contains("an earlier data dir at")
                .contains("starts cold"));
    }

    @Test
    void anArenaAndADataDirWithoutIdsFromAnEarlierVersionAreKept() throws IOException {
        ServerConfig c = config(tmp.resolve("data"));
        Path arena;
        try (DramTier t = open(c)) {
            t.put(Blocks.meta(1, 4096), Blocks.payload(1, 4096));
            arena = t.config().persistDirectory();
        }
        Files.delete(c.dataDir().resolve(DramPlacement.DATA_DIR_ID_FILE));
        Files.writeString(arena.resolve(DramTier.OWNER_FILE), c.dataDir().toAbsolutePath() + "\n");
        try (DramTier t = open(c)) {
            assertThat(t.blockCount()).isEqualTo(1);
        }
        assertThat(Files.exists(c.dataDir().resolve(DramPlacement.DATA_DIR_ID_FILE))).as("an id is given now").isTrue();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void aSecondOpenForTheSameDataDirIsRefusedEvenThroughASymlink() throws IOException {
        ServerConfig c = config(tmp.resolve("data"));
        Path link = Files.createSymbolicLink(tmp.resolve("alias"), c.dataDir());
        try (DramTier t = open(c)) {
            assertThatThrownBy(() -> open(config(link))).isInstanceOf(DramTierInUseException.class)
                    .hasMessageContaining("in use by this process");
        }
    }

    @Test
    void noShmRootMeansPrivateMemoryWithOneWarningNamingTheFix() throws IOException {
        DramPlacement.shmRoot = tmp.resolve("missing");
        try (DramTier t = open(config(tmp.resolve("data")))) {
            assertThat(t.config().persistent()).isFalse();
        }
        assertThat(log.list).hasSize(1);
        assertThat(log.list.get(0).getLevel().toString()).isEqualTo("WARN");
        assertThat(log.list.get(0).getThrowableProxy()).isNull();
        assertThat(messages().get(0)).contains(tmp.resolve("missing") + " does not exist")
                .contains("--shm-size").contains("dramPersist=false");
    }

    @Test
    void tooLittleSpaceIsNamed() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("arena"));
        long usable = Files.getFileStore(d).getUsableSpace();
        long pages = usable / (64 << 20) + 16; // more than the file system has free, in 64 MiB pages
        DramTierConfig big = DramTierConfig.of("dram", pages * (64 << 20), 64 << 20);
        assertThat(DramPlacement.space(d, big)).contains("MiB free for the arena, which needs");
        assertThat(DramPlacement.space(d, DramTierConfig.of("dram", 1 << 20))).isNull();
    }

    @Test
    void dramPersistFalseIsPrivateMemory() throws IOException {
        try (DramTier t = open(config(tmp.resolve("data"), "dramPersist=false"))) {
            assertThat(t.config().persistent()).isFalse();
        }
        assertThat(DramPlacement.shmRoot).isEmptyDirectory();
    }

    @Test
    void anExplicitDirectoryIsUsedAsIs() throws IOException {
        Path d = tmp.resolve("mine");
        try (DramTier t = open(config(tmp.resolve("data"), "dramPersistDir=" + d))) {
            assertThat(t.config().persistDirectory()).isEqualTo(d);
        }
        assertThat(DramPlacement.shmRoot).isEmptyDirectory();
    }

    @Test
    void arenasOfDeletedDataDirsAreRemovedAtTheNextStart() throws IOException {
        ServerConfig gone = config(tmp.resolve("gone"));
        ServerConfig kept = config(tmp.resolve("kept"));
        Path goneArena;
        Path keptArena;
        try (DramTier t = open(gone)) {
            goneArena = t.config().persistDirectory();
        }
        try (DramTier t = open(kept)) {
            keptArena = t.config().persistDirectory();
        }
        deleteTree(gone.dataDir());
        try (DramTier t = open(config(tmp.resolve("third")))) {
            assertThat(goneArena).doesNotExist();
            assertThat(keptArena).exists();
        }
        assertThat(messages()).anyMatch(m -> m.contains("removed the arena of deleted data dir " + gone.dataDir()));
    }
}
