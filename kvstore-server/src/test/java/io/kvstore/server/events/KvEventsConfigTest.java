package io.kvstore.server.events;

import io.kvstore.server.config.ConfigException;
import io.kvstore.server.config.ConfigLoader;
import io.kvstore.server.config.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kvEvents* settings: off by default, one-line errors that name the setting and the fix. */
@Timeout(10)
class KvEventsConfigTest {

    @Test
    void eventsAreOffByDefaultAndOnWithAnEndpoint() {
        assertThat(ConfigLoader.builder().load().kvEvents().enabled()).isFalse();
        ServerConfig.KvEvents e = ConfigLoader.builder().assignment("kvEventsEndpoint=tcp://127.0.0.1:5557")
                .assignment("kvEventsHashFormat=bytes").load().kvEvents();
        assertThat(e.enabled()).isTrue();
        assertThat(e.hashFormat()).isEqualTo("bytes");
        assertThat(e.heartbeatMillis()).isEqualTo(1000);
    }

    @Test
    void badSettingsAreOneLineErrorsNamingTheSetting() {
        assertThatThrownBy(() -> ConfigLoader.builder().assignment("kvEventsEndpoint=http://host:1").load())
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("kvEventsEndpoint: expected tcp://HOST:PORT")
                .hasMessageContaining("flag --set kvEventsEndpoint");
        assertThatThrownBy(() -> ConfigLoader.builder().assignment("kvEventsReplayEndpoint=tcp://127.0.0.1:5558")
                .load()).isInstanceOf(ConfigException.class).hasMessageContaining("set kvEventsEndpoint too");
        assertThatThrownBy(() -> ConfigLoader.builder().assignment("kvEventsEndpoint=tcp://127.0.0.1:5557")
                .assignment("kvEventsHashFormat=sha").load()).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("kvEventsHashFormat: must be u64 or bytes");
    }
}
