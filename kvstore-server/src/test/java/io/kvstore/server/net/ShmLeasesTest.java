package io.kvstore.server.net;

import io.kvstore.core.block.BlockHandle;
import io.kvstore.core.clock.ManualClock;
import io.kvstore.core.testing.Blocks;
import io.kvstore.tier.dram.DramTier;
import io.kvstore.tier.dram.DramTierConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The lease table on an injected clock: expiry, release by owner only, release with the connection. */
@Timeout(30)
class ShmLeasesTest {

    @TempDir
    Path dir;

    @Test
    void leasesEndOnExpiryOnReleaseByTheirOwnerAndWithTheirConnection() throws Exception {
        ManualClock clock = new ManualClock();
        try (DramTier tier = DramTier.open(DramTierConfig.of("dram", 1 << 20).persistedTo(dir.resolve("a")));
             ShmLeases leases = new ShmLeases(tier, clock, 0)) {
            for (int i = 0; i < 3; i++) {
                tier.put(Blocks.meta(i, 1000), Blocks.payload(i, 1000));
            }
            byte[] nonce = Files.readAllBytes(leases.directory().resolve(ShmLeases.TOKEN_FILE));
            assertThat(leases.nonceMatches(nonce)).isTrue();
            assertThat(leases.nonceMatches("0".repeat(64).getBytes(StandardCharsets.US_ASCII))).isFalse();

            Object connA = new Object();
            Object connB = new Object();
            BlockHandle h0 = tier.read(Blocks.key(0)).handle();
            BlockHandle h1 = tier.read(Blocks.key(1)).handle();
            BlockHandle h2 = tier.read(Blocks.key(2)).handle();
            long expiring = leases.grant(connA, List.of(h0), Duration.ofSeconds(1).toNanos());
            long released = leases.grant(connA, List.of(h1), Duration.ofSeconds(60).toNanos());
            long dropped = leases.grant(connB, List.of(h2), Duration.ofSeconds(60).toNanos());
            assertThat(leases.active()).isEqualTo(3);

            assertThat(leases.reapExpired()).isZero();
            clock.advance(Duration.ofMillis(999));
            assertThat(leases.reapExpired()).isZero();
            assertThat(h0.isOpen()).isTrue();
            clock.advance(Duration.ofMillis(1));
            assertThat(leases.reapExpired()).isEqualTo(1);
            assertThat(h0.isOpen()).isFalse();
            assertThat(leases.release(connA, expiring)).isFalse();

            assertThat(leases.release(connB, released)).as("not B's lease").isFalse();
            assertThat(h1.isOpen()).isTrue();
            assertThat(leases.release(connA, released)).isTrue();
            assertThat(h1.isOpen()).isFalse();

            assertThat(leases.releaseAll(connB)).isEqualTo(1);
            assertThat(h2.isOpen()).isFalse();
            assertThat(leases.release(connB, dropped)).isFalse();
            assertThat(leases.active()).isZero();
            assertThat(leases.counters()).containsEntry("granted", 3L).containsEntry("expired", 1L)
                    .containsEntry("dropped_with_connection", 1L);
        }
        assertThat(dir.resolve("a").resolve(ShmLeases.TOKEN_FILE)).doesNotExist();
    }
}
