package io.kvstore.tier.remote;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

/**
 * Starts one {@link LocalRedisCluster} (3 masters + 3 replicas) before a test class and kills it after, even if
 * tests failed. Register it as a static field: {@code @RegisterExtension static final RedisClusterExtension
 * CLUSTER = new RedisClusterExtension("256mb", "allkeys-lru");}
 */
final class RedisClusterExtension implements BeforeAllCallback, AfterAllCallback {

    private final String maxmemory;
    private final String policy;
    private LocalRedisCluster cluster;

    RedisClusterExtension(String maxmemory, String policy) {
        this.maxmemory = maxmemory;
        this.policy = policy;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        cluster = LocalRedisCluster.start(3, maxmemory, policy);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }

    LocalRedisCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException("the cluster runs only while the test class runs");
        }
        return cluster;
    }

    List<String> seeds() {
        return cluster().seeds();
    }
}
