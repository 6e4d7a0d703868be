package io.kvstore.dist;

import io.kvstore.client.BlockPayload;
import io.kvstore.client.ClientOptions;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.ReceivedBlock;
import io.kvstore.core.key.BlockKey;
import io.kvstore.core.key.PrefixHasher;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard on {@code /} of a daemon started from the distribution, rendered by Debian's headless Chromium
 * (driven by Selenium through {@code chromedriver}) after real traffic: the tiers table and the header show live
 * numbers. The screenshot is kept as {@code target/dashboard.png} (docs/images/dashboard.png is one).
 */
@Timeout(240)
class DashboardBrowserTest {

    static final Namespace NS = new Namespace("dashboard-model", new KvLayout("bf16", 2, 2, 64, 16), "acme", "", "");

    @TempDir
    Path dir;

    @Test
    void rendersLiveNumbersInHeadlessChromium() throws Exception {
        Distribution dist = Distribution.unpack(dir);
        try (Distribution.Daemon d = dist.serve(dir.resolve("data"), dir.resolve("daemon.log"), "--set",
                "hbmCapacityBytes=0", "--set", "dramCapacityBytes=4MiB", "--set", "dramPersist=false", "--set",
                "nvmeCapacityBytes=64MiB", "--set", "tenantQuotaBytes=acme=32MiB");
             KvStoreClient c = KvStoreClient.create(ClientOptions.of("127.0.0.1", d.port))) {
            int[] tokens = tokens(48);
            c.putBlocks(NS, BlockPayload.chain(NS, tokens, payloads(48)));
            List<BlockKey> keys = new PrefixHasher(NS).hash(tokens);
            for (int i = 0; i < 3; i++) {
                c.getBlocks(NS, keys.subList(0, 8)).forEach(ReceivedBlock::close);
            }
            c.getBlocks(NS, new PrefixHasher(NS).hash(tokens(2))).forEach(ReceivedBlock::close); // misses

            ChromeOptions o = new ChromeOptions().setBinary("/usr/bin/chromium")
                    .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                            "--window-size=1400,1100");
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
            ChromeDriver browser = new ChromeDriver(service, o);
            try {
                browser.get("http://127.0.0.1:" + d.adminPort + "/");
                // three polls: rates and points on each chart
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                for (int i = 0; refreshes(browser) < 3 && System.nanoTime() < deadline; i++) {
                    if (i % 5 == 0) { // traffic while the page watches: its charts get points
                        c.getBlocks(NS, keys.subList(0, 8)).forEach(ReceivedBlock::close);
                    }
                    Thread.sleep(200);
                }
                assertThat(refreshes(browser)).as("the page polled the daemon 3 times").isGreaterThanOrEqualTo(3);
                String tiers = browser.findElement(By.id("tiers")).getText();
                assertThat(tiers).contains("dram").contains("nvme").contains("4.00 MiB");
                assertThat(browser.findElement(By.id("blocks")).getText()).isEqualTo("48 blocks");
                assertThat(browser.findElement(By.id("ratio")).getText()).startsWith("hit ratio ").doesNotContain("-");
                assertThat(browser.findElement(By.id("hot")).getText()).contains("dram");
                assertThat(browser.findElement(By.id("tenants")).getText()).contains("acme").contains("32.0 MiB");
                assertThat(browser.findElement(By.id("error")).getText()).isEmpty();
                File shot = browser.getScreenshotAs(OutputType.FILE);
                Path kept = Path.of("target", "dashboard.png");
                Files.copy(shot.toPath(), kept, StandardCopyOption.REPLACE_EXISTING);
                assertThat(Files.size(kept)).isGreaterThan(10_000);
            } finally {
                browser.quit();
            }
        }
    }

    private static int refreshes(ChromeDriver browser) {
        Object n = browser.executeScript("return Number(document.body.dataset.refreshed || 0);");
        return ((Number) n).intValue();
    }

    private static int[] tokens(int blocks) {
        SplittableRandom r = new SplittableRandom(blocks);
        int[] t = new int[blocks * 16];
        for (int i = 0; i < t.length; i++) {
            t[i] = r.nextInt(1 << 17);
        }
        return t;
    }

    private static List<ByteBuffer> payloads(int n) {
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[256 << 10];
            new SplittableRandom(i).nextBytes(b);
            out.add(ByteBuffer.wrap(b));
        }
        return out;
    }
}
