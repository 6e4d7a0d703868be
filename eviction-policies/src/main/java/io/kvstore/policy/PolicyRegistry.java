package io.kvstore.policy;

import io.kvstore.policy.admission.AdmissionRule;
import io.kvstore.policy.admission.FilteredPolicy;
import io.kvstore.policy.admission.Reused;
import io.kvstore.policy.admission.ReusedOrSeenTwice;
import io.kvstore.policy.admission.SeenTwice;
import io.kvstore.policy.cost.GreedyDualPolicy;
import io.kvstore.policy.frequency.LfuPolicy;
import io.kvstore.policy.frequency.TinyLfuRule;
import io.kvstore.policy.linked.ArcPolicy;
import io.kvstore.policy.linked.FifoPolicy;
import io.kvstore.policy.linked.FifoReinsertPolicy;
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

    /**
     * The policy for a flash (NVMe) level, chosen on the shared traces by hit ratio against flash bytes written
     * (docs/policies.md, "Flash admission"): no admission rule, because every rule measured lost 7 to 47 points of
     * hit ratio for what it saved; the default eviction policy, which hit most and wrote least of the unfiltered
     * ones. Registry name {@code flash-default}.
     */
    public static final String FLASH_DEFAULT_POLICY = DEFAULT_POLICY;

    private static final Map<String, Function<PolicySpec, EvictionPolicy<?>>> FACTORIES = new LinkedHashMap<>();

    /** Admission rules, composable with any policy as {@code <rule>:<policy>}. */
    private static final Map<String, Function<PolicySpec, AdmissionRule<?>>> RULES = new LinkedHashMap<>();

    static {
        FACTORIES.put("lru", spec -> new LruPolicy<>());
        FACTORIES.put("fifo", spec -> new FifoPolicy<>());
        FACTORIES.put("fifo-reinsert", spec -> new FifoReinsertPolicy<>());
        FACTORIES.put("lfu", spec -> new LfuPolicy<>());
        FACTORIES.put("arc", ArcPolicy::new);
        FACTORIES.put("s3fifo", S3FifoPolicy::new);
        FACTORIES.put("sieve", spec -> new SievePolicy<>());
        FACTORIES.put("tinylfu", spec -> new FilteredPolicy<>(new TinyLfuRule<>(spec), new LruPolicy<>()));
        FACTORIES.put("gdsf", spec -> new GreedyDualPolicy<>(spec));
        FACTORIES.put("opt", BeladyPolicy::new);
        FACTORIES.put("adaptive-prefix", AdaptivePrefixPolicy::new);
        FACTORIES.put("flash-default", spec -> create(FLASH_DEFAULT_POLICY, spec));
        RULES.put("admit2", spec -> new SeenTwice<>(spec.capacityBlocks()));
        RULES.put("admit2-full", spec -> new SeenTwice<>(spec.capacityBlocks(), spec.capacityBytes()));
        RULES.put("reused", spec -> new Reused<>());
        RULES.put("reused-or-admit2", spec -> new ReusedOrSeenTwice<>(spec.capacityBlocks()));
    }

    private PolicyRegistry() {
    }

    /** Names of all registered policies, in registration order. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(FACTORIES.keySet());
    }

    /** Names of the admission rules ({@code <rule>:<policy>}), in registration order. */
    public static Set<String> admissionRules() {
        return Collections.unmodifiableSet(RULES.keySet());
    }

    /** True if {@code name} (or {@code "default"}) names a policy. */
    public static boolean exists(String name) {
        String n = resolve(name);
        int colon = n.indexOf(':');
        if (colon > 0) {
            return RULES.containsKey(n.substring(0, colon)) && exists(n.substring(colon + 1));
        }
        return FACTORIES.containsKey(n) || (n.startsWith("tinylfu-") && FACTORIES.containsKey(n.substring(8)));
    }

    /** Resolves {@code "default"} to the default policy's name; other names are returned lower-cased. */
    public static String resolve(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        return n.equals("default") ? DEFAULT_POLICY : n;
    }

    /**
     * Creates a new policy instance. {@code "tinylfu-<name>"} wraps any registered policy in the TinyLFU
     * admission filter; {@code "<rule>:<name>"} puts any registered policy behind an admission rule
     * ({@code admit2}, {@code admit2-full}, {@code reused}, {@code reused-or-admit2}; see {@link AdmissionRule}). {@code "opt"} is offline: it needs a replayer that tells it the future
     * ({@link io.kvstore.policy.opt.Clairvoyant}).
     *
     * @throws IllegalArgumentException naming the known policies if {@code name} is unknown
     */
    @SuppressWarnings("unchecked")
    public static <K> EvictionPolicy<K> create(String name, PolicySpec spec) {
        String n = resolve(name);
        int colon = n.indexOf(':');
        if (colon > 0 && RULES.containsKey(n.substring(0, colon))) {
            AdmissionRule<K> rule = (AdmissionRule<K>) RULES.get(n.substring(0, colon)).apply(spec);
            return new FilteredPolicy<>(rule, create(n.substring(colon + 1), spec));
        }
        if (n.startsWith("tinylfu-") && exists(n.substring("tinylfu-".length()))) {
            return new FilteredPolicy<>(new TinyLfuRule<K>(spec), create(n.substring("tinylfu-".length()), spec));
        }
        Function<PolicySpec, EvictionPolicy<?>> factory = FACTORIES.get(n);
        if (factory == null) {
            throw new IllegalArgumentException("unknown eviction policy '" + name + "'; known: " + FACTORIES.keySet()
                    + ", 'default', 'tinylfu-<policy>' and '<rule>:<policy>' with a rule in " + RULES.keySet());
        }
        return (EvictionPolicy<K>) factory.apply(spec);
    }
}
