package io.github.nameko4j.cachetools.redis;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Micrometer meters for a {@link RedisCacheStore} (optional dependency): {@code
 * nameko4j.cache.store.circuit.state} (0 closed, 1 open, 2 half-open), {@code
 * nameko4j.cache.store.failures} and {@code nameko4j.cache.store.skipped}, tagged with the
 * store's {@code namespace}.
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
    Gauge.builder("nameko4j.cache.store.circuit.state", store, s -> s.circuitState().ordinal())
        .tag("namespace", namespace).register(registry);
    FunctionCounter.builder("nameko4j.cache.store.failures", store, RedisCacheStore::failures).tag("namespace", namespace).register(registry);
    FunctionCounter.builder("nameko4j.cache.store.skipped", store, RedisCacheStore::skipped).tag("namespace", namespace).register(registry);
  }
}
