package io.kvstore.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kvstore.client.KvStoreClient;
import io.kvstore.client.KvStoreException;
import io.kvstore.core.namespace.KvLayout;
import io.kvstore.core.namespace.Namespace;
import picocli.CommandLine.Command;

import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code kvctl health}: is the daemon up. Checks the admin port ({@code /healthz}) and the data port (HELLO and
 * PING over the protocol, in a namespace of kvctl's own) and times each. Any valid token will do: a token limited to
 * some tenants is refused kvctl's namespace (NAMESPACE_DENIED) after the daemon has checked it, which proves the
 * data port healthy. If neither answers it fails like any command (exit 3); if one fails it prints both checks and
 * exits 1.
 */
@Command(name = "health", description = {"Is the daemon up: checks the admin port and the data port.",
    "The admin port's /healthz and the data port's HELLO + PING, with round-trip times (of a second",
    "/healthz; of the PING). Exit 0 if both are healthy, 1 if one is not, 3 if neither answers."})
final class HealthCommand extends CtlCommand {

    /** The namespace of kvctl's PING (any namespace works; this one never holds blocks). */
    static final Namespace PING_NAMESPACE = Namespace.of("kvctl-health", new KvLayout("bf16", 1, 1, 1, 1));

    private record Check(String name, String address, boolean ok, String detail, double millis, int failCode) {
    }

    @Override
    public Integer call() {
        Check admin = admin();
        Check data = data();
        if (!admin.ok && !data.ok && admin.failCode == ExitCodes.UNREACHABLE
                && data.failCode == ExitCodes.UNREACHABLE) {
            throw new CliException(ExitCodes.UNREACHABLE, "kvstore is not answering: admin " + admin.detail
                    + "; data " + data.detail);
        }
        if (json()) {
            ObjectNode o = root.adminClient().json().createObjectNode();
            o.put("healthy", admin.ok && data.ok);
            ArrayNode a = o.putArray("checks");
            for (Check c : new Check[] {admin, data}) {
                a.addObject().put("name", c.name).put("address", c.address).put("ok", c.ok).put("detail", c.detail)
                        .put("millis", c.millis);
            }
            printJson(o);
        } else {
            Format.Table t = new Format.Table("CHECK", "ADDRESS", "STATUS", "TIME", "DETAIL");
            for (Check c : new Check[] {admin, data}) {
                t.row(c.name, c.address, c.ok ? "ok" : "FAIL", String.format(Locale.ROOT, "%.2f ms",
                        c.millis), c.detail);
            }
            t.print(out());
        }
        return admin.ok && data.ok ? ExitCodes.OK : ExitCodes.NOT_FOUND;
    }

    private Check admin() {
        String address = root.adminAddress().toString();
        long t0 = System.nanoTime();
        try {
            AdminClient client = root.adminClient();
            client.getText("/healthz"); // the first request also pays for connecting and class loading
            t0 = System.nanoTime();
            String body = client.getText("/healthz").trim();
            double ms = (System.nanoTime() - t0) / 1e6;
            // "degraded: ..." (a shared tier's breaker is open) still serves: healthy, with the reason shown
            return new Check("admin", address, body.equals("ok") || body.startsWith("degraded"),
                    "/healthz answered '" + body + "'", ms,
                    ExitCodes.SERVER_ERROR);
        } catch (CliException e) {
            return new Check("admin", address, false, e.getMessage(), (System.nanoTime() - t0) / 1e6, e.exitCode());
        }
    }

    private Check data() {
        String address = root.dataAddress();
        long t0 = System.nanoTime();
        CliException failure;
        try (KvStoreClient c = root.dataClient()) {
            c.connect(PING_NAMESPACE);
            long rtt = c.pingAsync(PING_NAMESPACE).get(root.timeoutDuration().toMillis(), TimeUnit.MILLISECONDS);
            return new Check("data", address, true, "HELLO and PING answered", rtt / 1e6, 0);
        } catch (KvStoreException e) {
            if (e.code() == io.kvstore.protocol.ErrorCode.NAMESPACE_DENIED) {
                // the daemon checked the token and answered: healthy. A token limited to some tenants may not open
                // kvctl's own namespace, so this check cannot go on to PING.
                return new Check("data", address, true, "HELLO answered (token accepted; its tenants do not include "
                        + "kvctl's check namespace, so no PING)", (System.nanoTime() - t0) / 1e6, 0);
            }
            failure = root.dataFailure(e);
        } catch (ExecutionException e) {
            failure = e.getCause() instanceof KvStoreException k ? root.dataFailure(k)
                    : AdminClient.unreachable(root.dataAddress(), "server", e.getCause());
        } catch (TimeoutException e) {
            failure = AdminClient.unreachable(root.dataAddress(), "server", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.UNREACHABLE, "interrupted", e);
        }
        return new Check("data", address, false, failure.getMessage(), (System.nanoTime() - t0) / 1e6,
                failure.exitCode());
    }
}
