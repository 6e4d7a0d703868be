package io.kvstore.server.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The remote-tier settings: off by default, parsed from YAML lists, the environment and flags, validated. */
class RemoteSettingsTest {

    @TempDir
    Path dir;

    @Test
    void noRemoteTierByDefault() {
        ServerConfig.Remote r = ServerConfig.defaults().remote();
        assertThat(r.enabled()).isFalse();
        assertThat(r.keyPrefix()).isEqualTo("kv");
        assertThat(r.timeoutMillis()).isEqualTo(100);
        assertThat(r.capacityBytes()).isZero();
        assertThat(r.writeThroughBlocks()).isZero();
    }

    @Test
    void aRemoteTierKeepsTheStoresPolicyOnNvmeSoThatEvictedBlocksAreWrittenBack() {
        // alone, the NVMe tier evicts itself; above a remote tier its victims must be demoted to the cluster
        assertThat(ConfigLoader.builder().load().nvmePolicy()).isEqualTo("tier");
        assertThat(ConfigLoader.builder().assignment("remoteSeeds=a:1").load().nvmePolicy()).isEqualTo("default");
        assertThat(ConfigLoader.builder().assignment("remoteSeeds=a:1").assignment("nvmePolicy=lru").load()
                .nvmePolicy()).isEqualTo("lru");
        assertThatThrownBy(() -> ConfigLoader.builder().assignment("remoteSeeds=a:1").assignment("nvmePolicy=tier")
                .load()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("nvmePolicy: 'tier'").hasMessageContaining("written back to the remote tier")
                .hasMessageContaining("flag --set nvmePolicy");
    }

    @Test
    void seedsFromAYamlListTheEnvironmentOrAFlag() throws Exception {
        Path f = dir.resolve("kvstore.yaml");
        Files.writeString(f, """
                remoteSeeds: ["10.0.0.5:6379", "10.0.0.6:6379"]
                remoteCapacityBytes: 8GiB
                remoteWriteThroughBlocks: 4
                """);
        ServerConfig.Remote r = ConfigLoader.builder().yaml(f).load().remote();
        assertThat(r.seeds()).containsExactly("10.0.0.5:6379", "10.0.0.6:6379");
        assertThat(r.capacityBytes()).isEqualTo(8L << 30);
        assertThat(r.writeThroughBlocks()).isEqualTo(4);

        r = ConfigLoader.builder().env(Map.of("KVSTORE_REMOTE_SEEDS", "a:1, b:2", "KVSTORE_REMOTE_KEY_PREFIX", "prod"))
                .assignment("remoteTimeoutMillis=50").load().remote();
        assertThat(r.seeds()).isEqualTo(List.of("a:1", "b:2"));
        assertThat(r.keyPrefix()).isEqualTo("prod");
        assertThat(r.timeoutMillis()).isEqualTo(50);
        assertThat(r.enabled()).isTrue();
    }

    @Test
    void badValuesNameTheSetting() {
        assertThatThrownBy(() -> ConfigLoader.builder().assignment("remoteSeeds=redis-without-port").load())
                .isInstanceOf(ConfigException.class).hasMessageContaining("remoteSeeds");
        assertThatThrownBy(() -> ConfigLoader.builder().assignment("remoteKeyPrefix=has space").load())
                .isInstanceOf(ConfigException.class).hasMessageContaining("remoteKeyPrefix");
        assertThatThrownBy(() -> ConfigLoader.builder().assignment("remoteTimeoutMillis=0").load())
                .isInstanceOf(ConfigException.class).hasMessageContaining("remoteTimeoutMillis");
        assertThatThrownBy(() -> ConfigLoader.builder().assignment("remoteWriteThroughBlocks=-1").load())
                .isInstanceOf(ConfigException.class).hasMessageContaining("remoteWriteThroughBlocks");
    }
}
