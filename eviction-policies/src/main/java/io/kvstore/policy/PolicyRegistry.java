package io.kvstore.policy;

import io.kvstore.policy.cost.GreedyDualPolicy;
import io.kvstore.policy.frequency.LfuPolicy;
import io.kvstore.policy.frequency.TinyLfuPolicy;
import io.kvstore.policy.linked.ArcPolicy;
import io.kvstore.policy.linked.FifoPolicy;
import io.kvstore.policy.linked.LruPolicy;
import io.kvstore.policy.linked.S3FifoPolicy;
import io.kvstore.policy.linked.SievePolicy;
import io.kvstore.policy.opt.BeladyPolicy;
import io.kvstore.policy.prefix.AdaptivePrefixPolicy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The explicit list of policies, name to factory; no classpath scanning. Adding a policy is one line here.
 */
public final class PolicyRegistry {

    /** The name {@code "default"} resolves to this policy. */
    public static final String DEFAULT_POLICY = "adaptive-prefix";

    private static final Map<String, Function<PolicySpec, EvictionPolicy<?>>> FACTORIES = new LinkedHashMap<>();

    static {
        FACTORIES.put("lru", spec -> new LruPolicy<>());
        FACTORIES.put("fifo", spec -> new FifoPolicy<>());
        FACTORIES.put("lfu", spec -> new LfuPolicy<>());
        FACTORIES.put("arc", ArcPolicy::new);
        FACTORIES.put("s3fifo", S3FifoPolicy::new);
        FACTORIES.put("sieve", spec -> new SievePolicy<>());
        FACTORIES.put("tinylfu", spec -> new TinyLfuPolicy<>(new LruPolicy<>(), spec));
        FACTORIES.put("gdsf", spec -> new GreedyDualPolicy<>(spec));
        FACTORIES.put("opt", BeladyPolicy::new);
        FACTORIES.put("adaptive-prefix", AdaptivePrefixPolicy::new);
    }

    private PolicyRegistry() {
    }

    /** Names of all registered policies, in registration order. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(FACTORIES.keySet());
    }

    /** True if {@code name} (or {@code "default"}) names a policy. */
    public static boolean exists(String name) {
        String n = resolve(name);
        return FACTORIES.containsKey(n) || (n.startsWith("tinylfu-") && FACTORIES.containsKey(n.substring(8)));
    }

    /** Resolves {@code "default"} to the default policy's name; other names are returned lower-cased. */
    public static String resolve(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        return n.equals("default") ? DEFAULT_POLICY : n;
    }

    /**
     * Creates a new policy instance. {@code "tinylfu-<name>"} wraps any registered policy in the TinyLFU
     * admission filter. {@code "opt"} is offline: it needs a replayer that tells it the future
     * ({@link io.kvstore.policy.opt.Clairvoyant}).
     *
     * @throws IllegalArgumentException naming the known policies if {@code name} is unknown
     */
    @SuppressWarnings("unchecked")
    public static <K> EvictionPolicy<K> create(String name, PolicySpec spec) {
        String n = resolve(name);
        if (n.startsWith("tinylfu-") && exists(n.substring("tinylfu-".length()))) {
            return new TinyLfuPolicy<>(create(n.substring("tinylfu-".length()), spec), spec);
        }
        Function<PolicySpec, EvictionPolicy<?>> factory = FACTORIES.get(n);
        if (factory == null) {
            throw new IllegalArgumentException("unknown eviction policy '" + name + "'; known: " + FACTORIES.keySet()
                    + " and 'default'");
        }
        return (EvictionPolicy<K>) factory.apply(spec);
    }
}
