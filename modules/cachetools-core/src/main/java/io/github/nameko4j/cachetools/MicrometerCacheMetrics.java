package io.github.nameko4j.cachetools;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Publishes the proxies' events to Micrometer (an optional dependency: add micrometer-core to use
 * this class). Every meter is tagged with {@code service} and {@code method}:
 *
 * <ul>
 *   <li>{@code nameko4j.cache.hits}, {@code nameko4j.cache.misses}: CacheFirstRpcProxy lookups
 *   <li>{@code nameko4j.cache.fallbacks} (tag {@code cause}: error, timeout): replies the cache
 *       gave for a failing or slow service
 *   <li>{@code nameko4j.cache.late_replies}: replies that arrived after a fallback and refreshed it
 *   <li>{@code nameko4j.cache.refreshes}: background refreshes started ahead of expiry
 *   <li>{@code nameko4j.cache.directives} (tag {@code directive}: no-cache, no-store, max-age,
 *       max-stale; one count per directive a call carried and the proxy applied)
 *   <li>{@code nameko4j.cache.store.errors} (tag {@code operation}; no method tag)
 *   <li>{@code nameko4j.rpc.calls} (timer, tag {@code outcome}: success, failure)
 * </ul>
 *
 * <pre>{@code
 * CachedRpcProxy.builder(client).service("other_service").listener(new MicrometerCacheMetrics(registry)).build();
 * }</pre>
 *
 * <p>For the Redis store's circuit state and failures, see {@code RedisStoreMetrics}. Thread-safe.
 */
public final class MicrometerCacheMetrics implements CacheEventListener {
  private final MeterRegistry registry;

  public MicrometerCacheMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry must not be null");
  }

  private Counter counter(String name, String service, String method, String... tags) {
    Counter.Builder b = Counter.builder(name).tag("service", service).tag("method", method);
    for (int i = 0; i + 1 < tags.length; i += 2) {
      b.tag(tags[i], tags[i + 1]);
    }
    return b.register(registry);
  }

  @Override
  public void onHit(String service, String method) {
    counter("nameko4j.cache.hits", service, method).increment();
  }

  @Override
  public void onMiss(String service, String method) {
    counter("nameko4j.cache.misses", service, method).increment();
  }

  @Override
  public void onFallback(String service, String method, FallbackCause cause) {
    counter("nameko4j.cache.fallbacks", service, method, "cause", cause.name().toLowerCase(Locale.ROOT)).increment();
  }

  @Override
  public void onLateReplyCached(String service, String method) {
    counter("nameko4j.cache.late_replies", service, method).increment();
  }

  @Override
  public void onRefreshAhead(String service, String method) {
    counter("nameko4j.cache.refreshes", service, method).increment();
  }

  @Override
  public void onCacheControl(String service, String method, CacheDirectives directives) {
    for (CacheDirectives.Directive d : directives.directives()) {
      counter("nameko4j.cache.directives", service, method, "directive", d.token()).increment();
    }
  }

  @Override
  public void onStoreError(String service, String operation, Throwable error) {
    Counter.builder("nameko4j.cache.store.errors").tag("service", service).tag("operation", operation).register(registry).increment();
  }

  @Override
  public void onCall(String service, String method, long nanos, boolean success) {
    Timer.builder("nameko4j.rpc.calls").tag("service", service).tag("method", method)
        .tag("outcome", success ? "success" : "failure").register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public String toString() {
    return "MicrometerCacheMetrics{" + registry.getClass().getSimpleName() + "}";
  }
}
