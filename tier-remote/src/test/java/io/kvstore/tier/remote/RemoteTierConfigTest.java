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
        assertThatThrownBy(() -> ok.toBuilder().keyPrefix("a b").build()).hasMessageContaining("keyPrefix");
        assertThatThrownBy(() -> ok.toBuilder().keyPrefix("x{y}").build()).hasMessageContaining("keyPrefix");
        assertThatThrownBy(() -> ok.toBuilder().pieceBytes((1 << 20) + 1).build()).hasMessageContaining("pieceBytes");
        assertThatThrownBy(() -> ok.toBuilder().timeoutMillis(0).build()).hasMessageContaining("timeoutMillis");
        assertThatThrownBy(() -> ok.toBuilder().breaker(0, 10).build()).hasMessageContaining("breakerFailureThreshold");
        assertThatThrownBy(() -> ok.toBuilder().ttlSeconds(-1).build()).hasMessageContaining("ttlSeconds");
    }

    @Test
    void openingWithoutAReachableClusterIsATypedError() {
        assertThatThrownBy(() -> RemoteTier.open(RemoteTierConfig.builder(List.of("127.0.0.1:1"))
                .timeoutMillis(200).build())).isInstanceOf(RemoteTierUnavailableException.class)
                .hasMessageContaining("127.0.0.1:1");
    }
}
