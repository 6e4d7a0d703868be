package io.kvstore.server.auth;

import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.ErrorCode;
import io.kvstore.server.config.ConfigException;
import io.kvstore.server.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuthTest {

    static final KvLayout L = new KvLayout("bf16", 2, 2, 64, 16);
    static final Namespace ACME = new Namespace("m", L, "acme", "", "");
    static final Namespace GLOBEX = new Namespace("m", L, "globex", "", "");

    @Test
    void tokensGrantTheirTenantsOnly() {
        Authenticator a = new Authenticator(Map.of("t-acme", List.of("acme"), "t-root", List.of("*")));
        assertThat(a.check("t-acme", ACME)).isEqualTo(ErrorCode.OK);
        assertThat(a.check("t-acme", GLOBEX)).isEqualTo(ErrorCode.NAMESPACE_DENIED);
        assertThat(a.check("t-root", GLOBEX)).isEqualTo(ErrorCode.OK);
        assertThat(a.check("t-acm", ACME)).isEqualTo(ErrorCode.AUTH_FAILED);
        assertThat(a.check("t-acmex", ACME)).isEqualTo(ErrorCode.AUTH_FAILED);
        assertThat(a.check("", ACME)).isEqualTo(ErrorCode.AUTH_FAILED);
        assertThat(a.check(null, ACME)).isEqualTo(ErrorCode.AUTH_FAILED);
        assertThat(new Authenticator(Map.of()).check(null, ACME)).isEqualTo(ErrorCode.OK);
    }

    @Test
    void quotasReserveReleaseAndDefault() {
        TenantQuotas q = new TenantQuotas(Map.of("acme", 100L, "*", 10L));
        assertThat(q.quotaOf("acme")).isEqualTo(100);
        assertThat(q.quotaOf("other")).isEqualTo(10);
        assertThat(q.reserve("acme", 60)).isTrue();
        assertThat(q.reserve("acme", 41)).isFalse();
        assertThat(q.usedBy("acme")).isEqualTo(60);
        q.release("acme", 60);
        assertThat(q.reserve("acme", 100)).isTrue();
        assertThat(q.reserve("other", 11)).isFalse();
        TenantQuotas none = new TenantQuotas(Map.of());
        assertThat(none.disabled()).isTrue();
        assertThat(none.reserve("x", Long.MAX_VALUE)).isTrue();
    }

    @Test
    void quotaSettingParsesSizesAndNamesBadOnes() {
        assertThat(ConfigLoader.builder().assignment("tenantQuotaBytes=acme=1GiB,*=512MiB").load().tenantQuotaBytes())
                .containsEntry("acme", 1L << 30).containsEntry("*", 512L << 20);
        assertThatThrownBy(() -> ConfigLoader.builder().assignment("tenantQuotaBytes=acme=lots").load())
                .isInstanceOf(ConfigException.class).hasMessageContaining("tenantQuotaBytes")
                .hasMessageContaining("acme");
        assertThatThrownBy(() -> ConfigLoader.builder().assignment("nvmeWalMode=maybe").load())
                .isInstanceOf(ConfigException.class).hasMessageContaining("nvmeWalMode");
    }
}
