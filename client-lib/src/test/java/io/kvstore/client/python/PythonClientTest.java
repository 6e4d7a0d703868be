package io.kvstore.client.python;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.PrefixLookup;
import io.kvstore.client.PutAck;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import io.kvstore.protocol.body.PutCode;
import io.kvstore.server.KvServer;
import io.kvstore.server.testing.TestServers;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Python client (clients/python) against real servers, run from the Maven build so that CI runs it:
 * <ul>
 *   <li>cross-language acceptance: a prefix stored by the Java client is found and streamed byte-identical by
 *       the Python client ({@code clients/python/tests/crosslang.py}), and the prefix that script stores is
 *       found and read byte-identical here;</li>
 *   <li>the whole Python unittest suite ({@code python3 -m unittest discover -s clients/python}), which starts
 *       its own daemons.</li>
 * </ul>
 * Needs {@code python3} (3.9+) on the PATH.
 */
class PythonClientTest {

    /** Mirrors {@code crosslang.py}'s NAMESPACE: non-ASCII model id, tenant, salt and LoRA id. */
    static final Namespace NS = new Namespace("xlang/mod\u00e8le-\u6a21\u578b", new KvLayout("bf16", 2, 2, 64, 16),
            "acme", "salt", "lora-1");
    static final int BLOCKS = 8;
    static final int BLOCK_SIZE = 64 << 10;
    static final Path REPO = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;

    /** Token i of seed s, as in crosslang.py. */
    static int[] tokens(int seed) {
        int[] t = new int[BLOCKS * NS.layout().tokensPerBlock()];
        for (int i = 0; i < t.length; i++) {
            t[i] = (int) (((long) seed * 7919 + (long) i * 13) % 100000);
        }
        return t;
    }

    /** Payload of block b of seed s, as in crosslang.py: SHA-256("s:b:0") || SHA-256("s:b:1") || ... */
    static byte[] payload(int seed, int block) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(BLOCK_SIZE + 32);
        for (int k = 0; out.size() < BLOCK_SIZE; k++) {
            out.write(MessageDigest.getInstance("SHA-256").digest((seed + ":" + block + ":" + k)
                    .getBytes(StandardCharsets.US_ASCII)));
        }
        byte[] b = new byte[BLOCK_SIZE];
        System.arraycopy(out.toByteArray(), 0, b, 0, BLOCK_SIZE);
        return b;
    }

    @Test
    @Timeout(120)
    void aPrefixStoredByEitherClientIsStreamedByteIdenticalByTheOther() throws Exception {
        int javaSeed = 11;
        int pythonSeed = 22;
        try (KvServer server = TestServers.start(TestServers.config(dir));
             KvStoreClient client = KvStoreClient.create(ClientOptions.of("127.0.0.1", server.port()))) {
            List<ByteBuffer> payloads = new ArrayList<>();
            for (int i = 0; i < BLOCKS; i++) {
                payloads.add(ByteBuffer.wrap(payload(javaSeed, i)));
            }
            PutAck ack = client.putBlocks(NS, BlockPayload.chain(NS, tokens(javaSeed), payloads));
            assertThat(ack.statuses()).hasSize(BLOCKS).containsOnly(PutCode.STORED);

            Result py = run(List.of(python(), "clients/python/tests/crosslang.py", "--port",
                    String.valueOf(server.port()), "--java-seed", String.valueOf(javaSeed), "--python-seed",
                    String.valueOf(pythonSeed), "--blocks", String.valueOf(BLOCKS), "--block-size",
                    String.valueOf(BLOCK_SIZE)), Map.of(), 90);
            System.out.println("---- clients/python/tests/crosslang.py ----\n" + py.output);
            assertThat(py.exit).as(py.output).isZero();
            assertThat(py.output).contains("streamed " + BLOCKS + " blocks of the Java prefix, byte-identical");

            int[] pythonTokens = tokens(pythonSeed);
            List<BlockKey> keys = new PrefixHasher(NS).hash(pythonTokens);
            PrefixLookup hit = client.lookupPrefix(NS, pythonTokens);
            assertThat(hit.hitBlocks()).isEqualTo(BLOCKS);
            List<ReceivedBlock> blocks = client.getBlocks(NS, keys);
            try {
                assertThat(blocks).hasSize(BLOCKS);
                for (int i = 0; i < BLOCKS; i++) {
                    ReceivedBlock b = blocks.get(i);
                    assertThat(b.meta().key()).isEqualTo(keys.get(i));
                    assertThat(b.meta().parent()).isEqualTo(i == 0 ? NS.root() : keys.get(i - 1));
                    assertThat(b.meta().position()).isEqualTo(i);
                    assertThat(b.meta().layoutId()).isEqualTo(NS.layoutId());
                    assertThat(b.toByteArray()).as("block %d", i).isEqualTo(payload(pythonSeed, i));
                }
            } finally {
                blocks.forEach(ReceivedBlock::close);
            }
        }
    }

    @Test
    @Timeout(240)
    void thePythonUnitTestSuitePassesAgainstTheRealDaemon() throws Exception {
        Result r = run(List.of(python(), "-m", "unittest", "discover", "-s", "clients/python", "-v"), daemonEnv(), 200);
        System.out.println("---- python3 -m unittest discover -s clients/python ----\n" + r.output);
        assertThat(r.exit).as(r.output).isZero();
        assertThat(r.output).contains("\nOK");
    }

    /**
     * The tests that need torch and numpy ({@code clients/python/torch_tests}: tensors, engine layouts, the SGLang
     * backend, the reference engine) under {@code /usr/bin/python3}, where Debian's {@code python3-torch} installs
     * ({@code .ci/run} installs it; {@code TORCH_PYTHON} overrides the interpreter). Skipped, saying why, where
     * that interpreter has no torch.
     */
    @Test
    @Timeout(600)
    void theTorchTestsPassAgainstTheRealDaemon() throws Exception {
        String py = System.getenv().getOrDefault("TORCH_PYTHON", "/usr/bin/python3");
        Result probe = run(List.of(py, "-c", "import torch, numpy"), Map.of(), 120);
        Assumptions.assumeTrue(probe.exit == 0, py + " cannot import torch and numpy (apt-get install python3-torch "
                + "python3-numpy): " + probe.output);
        Result r = run(List.of(py, "-m", "unittest", "discover", "-s", "clients/python/torch_tests", "-v"),
                daemonEnv(), 540);
        System.out.println("---- " + py + " -m unittest discover -s clients/python/torch_tests ----\n" + r.output);
        assertThat(r.exit).as(r.output).isZero();
        assertThat(r.output).contains("\nOK");
    }

    /**
     * How the Python tests start the daemon: this test hands them a java command line with this JVM's classpath,
     * which holds the kvstore-server just built and its dependencies (a kvstore-server/target/lib left over from an
     * older build could lack a dependency, so it is not used here).
     */
    static Map<String, String> daemonEnv() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-") || a.startsWith("-Dchronicle")).forEach(cmd::add);
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add("io.kvstore.server.ServeCommand");
        return Map.of("KVSTORE_SERVER_COMMAND", String.join("\n", cmd));
    }

    static String python() {
        return System.getenv().getOrDefault("PYTHON", "python3");
    }

    record Result(int exit, String output) {
    }

    /** Runs a command in the repository root; kills it and its children after {@code seconds}. */
    static Result run(List<String> cmd, Map<String, String> env, long seconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(REPO.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread pump = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            } catch (IOException ignored) {
                // the process was killed
            }
        });
        pump.start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            pump.join(5000);
            throw new AssertionError(String.join(" ", cmd) + " did not finish within " + seconds + " s:\n" + out);
        }
        pump.join(10000);
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }
}
