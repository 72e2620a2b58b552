package io.github.nameko4j.cachetools.redis;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Micrometer meters for a {@link RedisCacheStore} (optional dependency), tagged with the store's
 * {@code namespace}:
 *
 * <ul>
 *   <li>{@code nameko4j.cache.store.state}: 0 UP, 1 DEGRADED (some nodes' keys skip Redis), 2
 *       DOWN (every lookup a miss, every call to the service), 3 CLOSED ({@link
 *       RedisCacheStore#state()})
 *   <li>{@code nameko4j.cache.store.circuit.state}: 0 closed, 1 open, 2 half-open (the worst node's)
 *   <li>{@code nameko4j.cache.store.failures}: commands that failed or got no answer within the
 *       hard timeout; {@code nameko4j.cache.store.timeouts}: those of them that got no answer
 *   <li>{@code nameko4j.cache.store.skipped}: commands skipped while a circuit was open or Redis
 *       not connected (a lookup skipped is a call that went to the service)
 *   <li>{@code nameko4j.cache.store.read.budget} (milliseconds): the read budget now
 * </ul>
 */
public final class RedisStoreMetrics {
  private RedisStoreMetrics() {}

  /**
   * Registers the store's meters.
   *
   * @param store the store to observe
   * @param namespace the store's namespace, as a tag
   * @param registry where the meters go
   */
  public static void bind(RedisCacheStore store, String namespace, MeterRegistry registry) {
    Gauge.builder("nameko4j.cache.store.state", store, s -> s.state().ordinal()).tag("namespace", namespace).register(registry);
    Gauge.builder("nameko4j.cache.store.circuit.state", store, s -> s.circuitState().ordinal())
        .tag("namespace", namespace).register(registry);
    FunctionCounter.builder("nameko4j.cache.store.timeouts", store, RedisCacheStore::timeouts).tag("namespace", namespace).register(registry);
    Gauge.builder("nameko4j.cache.store.read.budget", store, s -> s.lookupBudget().toNanos() / 1e6).baseUnit("milliseconds")
        .tag("namespace", namespace).register(registry);
    FunctionCounter.builder("nameko4j.cache.store.failures", store, RedisCacheStore::failures).tag("namespace", namespace).register(registry);
    FunctionCounter.builder("nameko4j.cache.store.skipped", store, RedisCacheStore::skipped).tag("namespace", namespace).register(registry);
  }
}
