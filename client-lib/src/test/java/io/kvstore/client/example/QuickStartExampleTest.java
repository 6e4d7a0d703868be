package io.kvstore.client.example;

import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The quick start of docs/java-client.md, exactly as the page shows it: the test takes the first {@code java}
 * block after "## Quick start" from the page, compiles it with the JDK's compiler against the test class path,
 * and runs its {@code main} twice against a real server (the first run stores 40 blocks, the second finds them).
 */
@Timeout(120)
class QuickStartExampleTest {

    static final Path DOC = Path.of("..", "docs", "java-client.md");

    @TempDir
    Path dir;

    @Test
    void theDocsQuickStartCompilesAndRunsAsWritten() throws Exception {
        String source = quickStartSource(Files.readString(DOC));
        assertThat(source).contains("public class QuickStart");
        Path src = dir.resolve("src/QuickStart.java");
        Path classes = dir.resolve("classes");
        Files.createDirectories(src.getParent());
        Files.createDirectories(classes);
        Files.writeString(src, source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("the tests run on a JDK").isNotNull();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics,
                "--release", "17", "-cp", classPath, "-d", classes.toString(), src.toString());
        assertThat(rc).as("javac on the quick start of %s:%n%s", DOC, diagnostics.toString(StandardCharsets.UTF_8))
                .isZero();

        try (KvServer server = TestServers.start(TestServers.config(dir.resolve("data")));
             URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                     QuickStartExampleTest.class.getClassLoader())) {
            Method main = loader.loadClass("QuickStart").getMethod("main", String[].class);
            String[] args = {"127.0.0.1", String.valueOf(server.port())};

            assertThat(run(main, args)).containsSubsequence(
                    "cached: 0 blocks", "stored: 40 blocks, all cached: true", "cached now: 40 blocks");
            assertThat(run(main, args)).containsSubsequence(
                    "cached: 40 blocks", "stored: 0 blocks, all cached: true", "cached now: 40 blocks");

            // and the blocks are there for any client of the same namespace
            Namespace ns = new Namespace("llama-3.1-8b", new KvLayout("bf16", 32, 8, 128, 16), "team-a", "", "");
            int[] context = new int[16 * 40 + 5];
            Arrays.setAll(context, i -> (i * 7919) % 128_000);
            try (KvStoreClient kv = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
                assertThat(kv.lookupPrefix(ns, context).hitBlocks()).isEqualTo(40);
            }
        }
    }

    @Test
    void theDocsCoordinatesAreClientLibs() throws Exception {
        String page = Files.readString(DOC);
        String pom = Files.readString(Path.of("pom.xml"));
        String parent = pom.substring(pom.indexOf("<parent>"), pom.indexOf("</parent>"));
        String dependency = "<dependency>\n"
                + "  <groupId>" + element(parent, "groupId") + "</groupId>\n"
                + "  <artifactId>" + element(pom.substring(pom.indexOf("</parent>")), "artifactId") + "</artifactId>\n"
                + "  <version>" + element(parent, "version") + "</version>\n"
                + "</dependency>\n";
        assertThat(page).as("the Maven coordinates in %s", DOC).contains("```xml\n" + dependency + "```");
    }

    private static String element(String xml, String name) {
        Matcher m = Pattern.compile("<" + name + ">([^<]+)</" + name + ">").matcher(xml);
        assertThat(m.find()).as("<%s> in client-lib/pom.xml", name).isTrue();
        return m.group(1);
    }

    /** The first ```java block after the "## Quick start" heading, verbatim. */
    static String quickStartSource(String page) {
        int section = page.indexOf("\n## Quick start");
        assertThat(section).as("%s has a '## Quick start' section", DOC).isNotNegative();
        Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(page);
        assertThat(m.find(section)).as("a java block in the quick start of %s", DOC).isTrue();
        return m.group(1);
    }

    /** Runs {@code main} and returns what it printed. */
    private static String run(Method main, String[] args) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            main.invoke(null, (Object) args);
        } finally {
            System.setOut(out);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        out.print(printed);
        return printed;
    }
}
