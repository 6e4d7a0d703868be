package io.kvstore.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.kvstore.policy.tier.TierManagedPolicy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a {@link ServerConfig} from, in increasing precedence: the embedded defaults, a YAML file (top-level
 * keys are the setting names), the environment ({@code KVSTORE_} + the name in upper snake case, e.g.
 * {@code KVSTORE_DRAM_CAPACITY_BYTES}) and flags. Sizes accept units ({@code 4GiB}). Every error names the
 * setting, the value and where it came from. Not thread-safe; use once.
 */
public final class ConfigLoader {

    private enum Kind { STRING, INT, SIZE, PATH, BOOLEAN, TOKENS, QUOTAS }

    private record Setting(String name, Kind kind, String defaultValue) {
        String env() {
            return "KVSTORE_" + name.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
        }
    }

    private static final List<Setting> SETTINGS = List.of(
            new Setting("bindAddress", Kind.STRING, "127.0.0.1"),
            new Setting("port", Kind.INT, "7379"),
            new Setting("adminBindAddress", Kind.STRING, "127.0.0.1"),
            new Setting("adminPort", Kind.INT, "7380"),
            new Setting("dataDir", Kind.PATH, "kvstore-data"),
            new Setting("hbmCapacityBytes", Kind.SIZE, "256MiB"),
            new Setting("hbmPolicy", Kind.STRING, "default"),
            new Setting("dramCapacityBytes", Kind.SIZE, "1GiB"),
            new Setting("dramPolicy", Kind.STRING, "default"),
            new Setting("nvmeCapacityBytes", Kind.SIZE, "4GiB"),
            // the tier's own segment reclaim with its reinsertion of what was read, not the store's policy: as many hits
            // or more, no policy state per NVMe block (docs/tiers.md, "A tier that evicts itself, measured"); the store's
            // default policy instead when a remote tier is configured (nvmePolicy())
            new Setting("nvmePolicy", Kind.STRING, TierManagedPolicy.NAME),
            new Setting("nvmeWalMode", Kind.STRING, "disabled"),
            new Setting("nvmeReinsertionPercent", Kind.INT, "50"),
            new Setting("nvmeIndexOnly", Kind.BOOLEAN, "true"),
            new Setting("transport", Kind.STRING, "auto"),
            new Setting("ioThreads", Kind.INT, "0"),
            new Setting("blockingThreads", Kind.INT, "4"),
            new Setting("blockingQueueDepth", Kind.INT, "256"),
            new Setting("maxFrameBytes", Kind.SIZE, "64MiB"),
            new Setting("maxKeysPerRequest", Kind.INT, "4096"),
            new Setting("maxPipelinedRequests", Kind.INT, "128"),
            new Setting("putBlocksInFlight", Kind.INT, "1"),
            new Setting("demotionThreads", Kind.INT, "2"),
            new Setting("demotionHeadroomPercent", Kind.INT, "10"),
            new Setting("maxInFlightBytesPerConnection", Kind.SIZE, "256MiB"),
            new Setting("writeBufferLowBytes", Kind.SIZE, "2MiB"),
            new Setting("writeBufferHighBytes", Kind.SIZE, "8MiB"),
            new Setting("maxLeaseMillis", Kind.INT, "30000"),
            new Setting("shutdownGraceMillis", Kind.INT, "5000"),
            new Setting("authTokens", Kind.TOKENS, ""),
            new Setting("dramSharedMemoryDir", Kind.STRING, ""),
            new Setting("dramPersist", Kind.BOOLEAN, "true"),
            new Setting("dramPersistDir", Kind.STRING, ""),
            new Setting("sharedMemory", Kind.BOOLEAN, "true"),
            new Setting("tenantQuotaBytes", Kind.QUOTAS, ""),
            new Setting("remoteSeeds", Kind.STRING, ""),
            new Setting("remoteKeyPrefix", Kind.STRING, "kv"),
            new Setting("remoteTimeoutMillis", Kind.INT, "100"),
            new Setting("remoteCapacityBytes", Kind.SIZE, "0"),
            new Setting("remoteWriteThroughBlocks", Kind.INT, "0"),
            new Setting("kvEventsEndpoint", Kind.STRING, ""),
            new Setting("kvEventsReplayEndpoint", Kind.STRING, ""),
            new Setting("kvEventsTopic", Kind.STRING, ""),
            new Setting("kvEventsHashFormat", Kind.STRING, "u64"),
            new Setting("kvEventsQueueEvents", Kind.INT, "65536"),
            new Setting("kvEventsReplayBatches", Kind.INT, "10000"),
            new Setting("kvEventsTokenCacheBlocks", Kind.INT, "262144"),
            new Setting("kvEventsHeartbeatMillis", Kind.INT, "1000"),
            new Setting("respPort", Kind.INT, "-1"),
            new Setting("lmPort", Kind.INT, "-1"),
            new Setting("dataSocket", Kind.STRING, ""));

    /** The source of a setting nobody set: its built-in default (as error messages name it). */
    private static final String DEFAULT_SOURCE = "default";

    private final Map<String, Object> values = new LinkedHashMap<>();
    private final Map<String, String> sources = new LinkedHashMap<>();

    private ConfigLoader() {
        for (Setting s : SETTINGS) {
            values.put(s.name(), s.defaultValue());
            sources.put(s.name(), DEFAULT_SOURCE);
        }
    }

    /** A loader holding the embedded defaults. */
    public static ConfigLoader builder() {
        return new ConfigLoader();
    }

    /** Names of all settings, in documentation order. */
    public static List<String> settingNames() {
        return SETTINGS.stream().map(Setting::name).toList();
    }

    /** Environment variable of a setting. */
    public static String envName(String setting) {
        return setting(setting).env();
    }

    /** Applies a YAML file; unknown keys are errors. */
    public ConfigLoader yaml(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
        } catch (IOException e) {
            throw new ConfigException("config file " + file + ": " + e.getMessage());
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            return this;
        }
        if (!root.isObject()) {
            throw new ConfigException("config file " + file + ": expected a map of settings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Setting s = find(e.getKey());
            if (s == null) {
                throw new ConfigException("unknown setting '" + e.getKey() + "' in " + file + "; known: "
                        + settingNames());
            }
            Object v;
            if (s.kind() == Kind.TOKENS) {
                if (!e.getValue().isObject()) {
                    throw new ConfigException("authTokens in " + file + ": expected a map token -> list of tenants");
                }
                Map<String, List<String>> m = new LinkedHashMap<>();
                e.getValue().fields().forEachRemaining(t -> {
                    List<String> tenants = new ArrayList<>();
                    if (t.getValue().isArray()) {
                        t.getValue().forEach(x -> tenants.add(x.asText()));
                    } else {
                        tenants.add(t.getValue().asText());
                    }
                    m.put(t.getKey(), tenants);
                });
                v = m;
            } else if (s.kind() == Kind.QUOTAS) {
                if (!e.getValue().isObject()) {
                    throw new ConfigException("tenantQuotaBytes in " + file + ": expected a map tenant -> size");
                }
                Map<String, String> m = new LinkedHashMap<>();
                e.getValue().fields().forEachRemaining(t -> m.put(t.getKey(), t.getValue().asText()));
                v = m;
            } else if (e.getValue().isArray()) { // a list (remoteSeeds): comma-separated, as in the environment
                List<String> items = new ArrayList<>();
                e.getValue().forEach(x -> items.add(x.asText()));
                v = String.join(",", items);
            } else {
                v = e.getValue().asText();
            }
            set(s, v, "config file " + file);
        }
        return this;
    }

    /** Applies every {@code KVSTORE_*} variable of a setting found in {@code env}. */
    public ConfigLoader env(Map<String, String> env) {
        for (Setting s : SETTINGS) {
            String v = env.get(s.env());
            if (v != null) {
                set(s, v, "environment " + s.env());
            }
        }
        return this;
    }

    /** Applies a flag ({@code --name value}); null values are ignored (flag not given). */
    public ConfigLoader flag(String name, Object value) {
        if (value != null) {
            Setting s = setting(name);
            set(s, value instanceof Path p ? p.toString() : value.toString(), "flag --" + flagName(name));
        }
        return this;
    }

    /** Applies {@code name=value} (the {@code --set} flag). */
    public ConfigLoader assignment(String assignment) {
        int eq = assignment.indexOf('=');
        if (eq < 1) {
            throw new ConfigException("--set " + assignment + ": expected name=value");
        }
        String name = assignment.substring(0, eq).trim();
        if (find(name) == null) {
            throw new ConfigException("--set: unknown setting '" + name + "'; known: " + settingNames());
        }
        set(find(name), assignment.substring(eq + 1), "flag --set " + name);
        return this;
    }

    /** Converts and validates everything. */
    public ServerConfig load() {
        try {
            return new ServerConfig(str("bindAddress"), integer("port"), str("adminBindAddress"), integer("adminPort"),
                    Path.of(str("dataDir")), size("hbmCapacityBytes"), str("hbmPolicy"), size("dramCapacityBytes"),
                    str("dramPolicy"), size("nvmeCapacityBytes"), nvmePolicy(), str("nvmeWalMode"),
                    integer("nvmeReinsertionPercent"), str("transport"),
                    integer("ioThreads"), integer("blockingThreads"), integer("blockingQueueDepth"),
                    intSize("maxFrameBytes"), integer("maxKeysPerRequest"), integer("maxPipelinedRequests"),
                    integer("putBlocksInFlight"), integer("demotionThreads"),
                    integer("demotionHeadroomPercent"), size("maxInFlightBytesPerConnection"), intSize("writeBufferLowBytes"),
                    intSize("writeBufferHighBytes"), integer("maxLeaseMillis"), integer("shutdownGraceMillis"),
                    tokens(), optionalPath("dramSharedMemoryDir"), bool("dramPersist"), optionalPath("dramPersistDir"),
                    bool("sharedMemory"), quotas(),
                    remote(), kvEvents(), integer("respPort"), integer("lmPort"),
                    optionalPath("dataSocket"), bool("nvmeIndexOnly"));
        } catch (ConfigException e) {
            String msg = e.getMessage();
            int colon = msg.indexOf(':');
            String first = colon > 0 ? msg.substring(0, colon).split(",")[0].trim() : "";
            String src = sources.get(first);
            throw new ConfigException(src == null || msg.contains("(from ") ? msg : msg + " (from " + src + ")");
        }
    }

    private void set(Setting s, Object v, String source) {
        values.put(s.name(), v);
        sources.put(s.name(), source);
    }

    private String str(String name) {
        return Objects.toString(values.get(name)).trim();
    }

    private Path optionalPath(String name) {
        try {
            return str(name).isBlank() ? null : Path.of(str(name));
        } catch (java.nio.file.InvalidPathException e) {
            throw bad(name, "is not a valid path (" + e.getReason() + ")");
        }
    }

    private boolean bool(String name) {
        String v = str(name).toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
            throw bad(name, "must be true or false");
        }
        return v.equals("true");
    }

    private int integer(String name) {
        long v = number(name, false);
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw bad(name, "is out of range");
        }
        return (int) v;
    }

    private long size(String name) {
        return number(name, true);
    }

    private int intSize(String name) {
        long v = number(name, true);
        if (v > Integer.MAX_VALUE) {
            throw bad(name, "must be < 2GiB");
        }
        return (int) v;
    }

    private long number(String name, boolean sizeUnits) {
        String v = str(name);
        try {
            if (sizeUnits && !v.startsWith("-")) {
                return Sizes.parse(v);
            }
            return Long.parseLong(v);
        } catch (IllegalArgumentException e) {
            throw bad(name, sizeUnits ? "is not a size: " + e.getMessage() : "'" + v + "' is not an integer");
        }
    }

    /**
     * The NVMe level's policy: by default {@code tier} (the tier's segment reclaim evicts, docs/tiers.md), but with a
     * remote tier below it the store's {@code default} policy, because the blocks a tier evicts by itself are dropped,
     * not written back to the cluster; asked for explicitly with a remote tier, {@code tier} is refused for that
     * reason.
     */
    private String nvmePolicy() {
        String policy = str("nvmePolicy");
        if (!TierManagedPolicy.isNamed(policy) || str("remoteSeeds").isBlank()) {
            return policy;
        }
        if (DEFAULT_SOURCE.equals(sources.get("nvmePolicy"))) { // not set by the operator
            return "default"; // the store's default policy
        }
        throw new ConfigException("nvmePolicy: 'tier' lets the NVMe tier drop what it evicts, so nothing would be "
                + "written back to the remote tier (remoteSeeds); leave nvmePolicy unset or name a policy (default, "
                + "lru, ...)");
    }

    private ServerConfig.Remote remote() {
        List<String> seeds = new ArrayList<>();
        for (String seed : str("remoteSeeds").split(",")) {
            if (!seed.isBlank()) {
                seeds.add(seed.trim());
            }
        }
        return new ServerConfig.Remote(seeds, str("remoteKeyPrefix"), integer("remoteTimeoutMillis"),
                size("remoteCapacityBytes"), integer("remoteWriteThroughBlocks"));
    }

    private ServerConfig.KvEvents kvEvents() {
        return new ServerConfig.KvEvents(str("kvEventsEndpoint"), str("kvEventsReplayEndpoint"), str("kvEventsTopic"),
                str("kvEventsHashFormat"), integer("kvEventsQueueEvents"), integer("kvEventsReplayBatches"),
                integer("kvEventsTokenCacheBlocks"), integer("kvEventsHeartbeatMillis"));
    }

    @SuppressWarnings("unchecked")
    private Map<String, List<String>> tokens() {
        Object v = values.get("authTokens");
        if (v instanceof Map<?, ?> m) {
            return (Map<String, List<String>>) m;
        }
        // environment / flag form: token=tenantA|tenantB,token2=*
        Map<String, List<String>> out = new LinkedHashMap<>();
        String s = Objects.toString(v).trim();
        if (s.isEmpty()) {
            return out;
        }
        for (String part : s.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 1) {
                throw bad("authTokens", "expected token=tenant|tenant,... but an entry has no '='");
            }
            out.put(part.substring(0, eq).trim(), List.of(part.substring(eq + 1).trim().split("\\|")));
        }
        return out;
    }

    /** YAML map tenant -> size, or the environment / flag form {@code tenant=size,*=size}. */
    private Map<String, Long> quotas() {
        Object v = values.get("tenantQuotaBytes");
        Map<String, String> raw = new LinkedHashMap<>();
        if (v instanceof Map<?, ?> m) {
            m.forEach((k, x) -> raw.put(k.toString(), x.toString()));
        } else {
            String s = Objects.toString(v).trim();
            for (String part : s.isEmpty() ? new String[0] : s.split(",")) {
                int eq = part.indexOf('=');
                if (eq < 1) {
                    throw bad("tenantQuotaBytes", "expected tenant=size,... but an entry has no '='");
                }
                raw.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
            }
        }
        Map<String, Long> out = new LinkedHashMap<>();
        raw.forEach((tenant, size) -> {
            try {
                out.put(tenant, Sizes.parse(size));
            } catch (IllegalArgumentException e) {
                throw bad("tenantQuotaBytes", "quota of tenant '" + tenant + "' is not a size: " + e.getMessage());
            }
        });
        return out;
    }

    private ConfigException bad(String name, String what) {
        String shown = name.equals("authTokens") || name.equals("tenantQuotaBytes") ? "" : " '" + str(name) + "'";
        return new ConfigException(name + ":" + shown + " " + what + " (from " + sources.get(name) + ")");
    }

    private static Setting find(String name) {
        for (Setting s : SETTINGS) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    private static Setting setting(String name) {
        Setting s = find(name);
        if (s == null) {
            throw new IllegalArgumentException("no setting " + name);
        }
        return s;
    }

    private static String flagName(String setting) {
        return setting.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }
}
