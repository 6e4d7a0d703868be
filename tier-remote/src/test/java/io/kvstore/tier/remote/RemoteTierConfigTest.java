package io.kvstore.tier.remote;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RemoteTierConfigTest {

    final RemoteTierConfig ok = RemoteTierConfig.defaults(List.of("10.0.0.1:6379"));

    @Test
    void defaultsAreValidAndBadValuesAreRefusedWithTheirName() {
        assertThat(ok.pieceBytes()).isEqualTo(1 << 20);
        assertThat(ok.capacityBytes()).isEqualTo(RemoteTierConfig.UNBOUNDED);
        assertThatThrownBy(() -> RemoteTierConfig.defaults(List.of())).hasMessageContaining("seed");
        assertThatThrownBy(() -> RemoteTierConfig.defaults(List.of("localhost"))).hasMessageContaining("host:port");
        assertThatThrownBy(() -> ok.withKeyPrefix("a b")).hasMessageContaining("keyPrefix");
        assertThatThrownBy(() -> ok.withKeyPrefix("x{y}")).hasMessageContaining("keyPrefix");
        assertThatThrownBy(() -> ok.withPieceBytes((1 << 20) + 1)).hasMessageContaining("pieceBytes");
        assertThatThrownBy(() -> ok.withTimeoutMillis(0)).hasMessageContaining("timeoutMillis");
        assertThatThrownBy(() -> ok.withBreaker(0, 10)).hasMessageContaining("breakerFailureThreshold");
        assertThatThrownBy(() -> ok.withTtlSeconds(-1)).hasMessageContaining("ttlSeconds");
    }

    @Test
    void openingWithoutAReachableClusterIsATypedError() {
        assertThatThrownBy(() -> RemoteTier.open(RemoteTierConfig.defaults(List.of("127.0.0.1:1"))
                .withTimeoutMillis(200))).isInstanceOf(RemoteTierUnavailableException.class)
                .hasMessageContaining("127.0.0.1:1");
    }
}
