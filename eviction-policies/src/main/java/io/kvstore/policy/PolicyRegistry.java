package io.kvstore.policy;

import io.kvstore.policy.linked.LruPolicy;

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
    public static final String DEFAULT_POLICY = "lru";

    private static final Map<String, Function<PolicySpec, EvictionPolicy<?>>> FACTORIES = new LinkedHashMap<>();

    static {
        FACTORIES.put("lru", spec -> new LruPolicy<>());
    }

    private PolicyRegistry() {
    }

    /** Names of all registered policies, in registration order. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(FACTORIES.keySet());
    }

    /** True if {@code name} (or {@code "default"}) names a policy. */
    public static boolean exists(String name) {
        return FACTORIES.containsKey(resolve(name));
    }

    /** Resolves {@code "default"} to the default policy's name; other names are returned lower-cased. */
    public static String resolve(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        return n.equals("default") ? DEFAULT_POLICY : n;
    }

    /**
     * Creates a new policy instance.
     *
     * @throws IllegalArgumentException naming the known policies if {@code name} is unknown
     */
    @SuppressWarnings("unchecked")
    public static <K> EvictionPolicy<K> create(String name, PolicySpec spec) {
        Function<PolicySpec, EvictionPolicy<?>> factory = FACTORIES.get(resolve(name));
        if (factory == null) {
            throw new IllegalArgumentException("unknown eviction policy '" + name + "'; known: " + FACTORIES.keySet()
                    + " and 'default'");
        }
        return (EvictionPolicy<K>) factory.apply(spec);
    }
}
