package io.kvstore.client;

import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.FrameDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client does not configure logging for its user: neither client-lib nor the modules it brings at compile
 * scope (kvstore-model, kvstore-protocol) ship a logging configuration file or an SLF4J
 * provider. The other half, no logging backend among client-lib's compile and runtime dependencies, is the
 * enforcer rule in client-lib/pom.xml.
 */
@Timeout(30)
class ClientLibLoggingTest {

    /** Files that would configure a logging backend (or register one) from a library's class path entry. */
    static final List<String> CONFIGURING = List.of(
            "logback.xml", "logback-test.xml", "logback.groovy",
            "log4j2.xml", "log4j2.properties", "log4j2-test.xml", "log4j.properties", "log4j.xml",
            "simplelogger.properties", "logging.properties",
            "META-INF/services/org.slf4j.spi.SLF4JServiceProvider");

    @Test
    void clientLibAndItsModulesShipNoLoggingConfiguration() throws Exception {
        List<Path> entries = new ArrayList<>();
        for (Class<?> c : List.of(KvStoreClient.class, Namespace.class, FrameDescriptor.class)) {
            entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
        }
        assertThat(entries).doesNotHaveDuplicates();
        for (Path entry : entries) {
            assertThat(shipped(entry)).as("logging configuration shipped by %s", entry).isEmpty();
        }
    }

    /** Which of {@link #CONFIGURING} a class path entry (a directory or a jar) holds. */
    private static List<String> shipped(Path entry) throws Exception {
        List<String> found = new ArrayList<>();
        if (Files.isDirectory(entry)) {
            for (String name : CONFIGURING) {
                if (Files.exists(entry.resolve(name))) {
                    found.add(name);
                }
            }
        } else {
            try (JarFile jar = new JarFile(entry.toFile())) {
                for (String name : CONFIGURING) {
                    if (jar.getEntry(name) != null) {
                        found.add(name);
                    }
                }
            }
        }
        return found;
    }
}
