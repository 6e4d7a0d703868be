package io.kvstore.cli;

import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** kvctl's units, table alignment and argument parsers. */
@Timeout(10)
class FormatAndArgsTest {

    @Test
    void units() {
        assertThat(Format.bytes(0)).isEqualTo("0 B");
        assertThat(Format.bytes(1023)).isEqualTo("1023 B");
        assertThat(Format.bytes(1536)).isEqualTo("1.50 KiB");
        assertThat(Format.bytes(256 << 10)).isEqualTo("256.0 KiB");
        assertThat(Format.bytes(4L << 30)).isEqualTo("4.00 GiB");
        assertThat(Format.rate(3 << 20)).isEqualTo("3.00 MiB/s");
        assertThat(Format.percent(1, 8)).isEqualTo("12.5%");
        assertThat(Format.percent(1, 0)).isEqualTo("-");
        assertThat(Format.millis(850)).isEqualTo("850 ms");
        assertThat(Format.millis(12_340)).isEqualTo("12.3 s");
        assertThat(Format.millis(245_000)).isEqualTo("4m 05s");
        assertThat(Format.millis(3 * 3_600_000L + 120_000)).isEqualTo("3h 02m");
        assertThat(Format.ago(2 * 86_400_000L + 4 * 3_600_000L)).isEqualTo("2d 04h ago");
        assertThat(Format.perSecond(1234.4)).isEqualTo("1234/s");
        assertThat(Format.perSecond(4.25)).isEqualTo("4.3/s");
    }

    @Test
    void tableAlignsQuantitiesRightAndTextLeft() {
        StringWriter w = new StringWriter();
        new Format.Table("TIER", "USED", "HITS", "WHY").row("dram", "1.00 MiB", 5, "victim")
                .row("nvme", "256.0 KiB", null, "stored by a PUT").print(new PrintWriter(w));
        assertThat(w.toString().lines()).containsExactly(
                "TIER       USED  HITS  WHY",
                "dram   1.00 MiB     5  victim",
                "nvme  256.0 KiB     -  stored by a PUT");
        assertThatThrownBy(() -> new Format.Table("A", "B").row("x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hostPorts() {
        HostPort d = new HostPort("127.0.0.1", 7379);
        assertThat(HostPort.parse("example.org:80", d)).isEqualTo(new HostPort("example.org", 80));
        assertThat(HostPort.parse(":9000", d)).isEqualTo(new HostPort("127.0.0.1", 9000));
        assertThat(HostPort.parse("db1", d)).isEqualTo(new HostPort("db1", 7379));
        assertThat(HostPort.parse("[::1]:7380", d)).isEqualTo(new HostPort("::1", 7380));
        assertThat(HostPort.parse("[::1]:7380", d).toString()).isEqualTo("[::1]:7380");
        assertThatThrownBy(() -> HostPort.parse("h:x", d)).hasMessageContaining("bad port 'x'");
        assertThatThrownBy(() -> HostPort.parse("h:0", d)).hasMessageContaining("1..65535");
    }

    @Test
    void durations() {
        assertThat(Args.duration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Args.duration("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Args.duration("10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(Args.duration("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(Args.duration("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(Args.duration("PT1M")).isEqualTo(Duration.ofMinutes(1));
        assertThatThrownBy(() -> Args.duration("soon")).isInstanceOf(CliException.class)
                .hasMessageContaining("'soon' is not a duration");
    }

    @Test
    void namespaces() {
        Namespace full = new Namespace("m/x", new KvLayout("fp8_e4m3", 32, 8, 128, 16), "acme", "s", "l");
        Args.NamespaceArg a = Args.namespace("model=m/x,layout=fp8_e4m3:32:8:128:16,tenant=acme,salt=s,lora=l");
        assertThat(a.namespace()).isEqualTo(full);
        assertThat(a.idHex()).isEqualTo(full.idHex());
        Args.NamespaceArg id = Args.namespace(full.idHex());
        assertThat(id.id()).isEqualTo(full.id());
        assertThatThrownBy(() -> id.full("lookup")).isInstanceOf(CliException.class)
                .hasMessageContaining("lookup needs the full namespace");
        assertThatThrownBy(() -> Args.namespace("model=m")).hasMessageContaining("needs model= and layout=");
        assertThatThrownBy(() -> Args.namespace("model=m,layout=bf16:1:1")).hasMessageContaining("is not DTYPE");
        assertThatThrownBy(() -> Args.namespace("model=m,layout=bf16:1:1:1:1,color=red"))
                .hasMessageContaining("unknown field(s) [color]");
        assertThatThrownBy(() -> Args.namespace("model=m,layout=bf16:0:1:1:1")).hasMessageContaining("layers");
    }

    @Test
    void tokenFiles(@TempDir Path dir) throws Exception {
        Path ws = dir.resolve("a.txt");
        Files.writeString(ws, "1 2\n3,4\t5\n");
        assertThat(Args.tokens(ws.toString())).containsExactly(1, 2, 3, 4, 5);
        Path arr = dir.resolve("b.json");
        Files.writeString(arr, "[7, 8, 9]");
        assertThat(Args.tokens(arr.toString())).containsExactly(7, 8, 9);
        Path obj = dir.resolve("c.json");
        Files.writeString(obj, "{\"tokens\": [1]}");
        assertThat(Args.tokens(obj.toString())).containsExactly(1);
        Files.writeString(ws, "1 two");
        assertThatThrownBy(() -> Args.tokens(ws.toString())).hasMessageContaining("'two'");
        Files.writeString(arr, "[1, \"x\"]");
        assertThatThrownBy(() -> Args.tokens(arr.toString())).hasMessageContaining("element 1");
        assertThatThrownBy(() -> Args.tokens(dir.resolve("missing").toString()))
                .isInstanceOf(CliException.class).hasMessageContaining("cannot read");
    }
}
