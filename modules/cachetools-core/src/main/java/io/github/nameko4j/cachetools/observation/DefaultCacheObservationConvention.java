package io.github.nameko4j.cachetools.observation;

import io.micrometer.common.KeyValues;

/**
 * The default: observation {@code nameko.cache}, span {@code <service>.<method> cache}, with the
 * low-cardinality tags {@code nameko.service}, {@code nameko.method}, {@code nameko.cache.mode}
 * ({@code cached}, {@code cache_first}), {@code nameko.cache.outcome} ({@code hit}, {@code miss},
 * {@code service}, {@code fallback}, {@code error}) and {@code nameko.cache.fallback.reason}
 * ({@code timeout}, {@code remote_error}, {@code transport}, {@code other}, {@code none}) and
 * {@code nameko.cache.control} (the cache control directives applied: {@code none}, {@code
 * no-cache}, {@code max-age,max-stale}...). The rpc
 * call the proxy makes, if any, is its child. Extend it to add tags.
 */
public class DefaultCacheObservationConvention implements CacheObservationConvention {
  /** The shared instance. */
  public static final DefaultCacheObservationConvention INSTANCE = new DefaultCacheObservationConvention();

  /** For subclasses. */
  protected DefaultCacheObservationConvention() {}

  @Override
  public String getName() {
    return "nameko.cache";
  }

  @Override
  public String getContextualName(CacheObservationContext context) {
    return context.service() + "." + context.method() + " cache";
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(CacheObservationContext context) {
    CacheObservationContext.Outcome outcome = context.outcome();
    return KeyValues.of(
        "nameko.service", context.service(),
        "nameko.method", context.method(),
        "nameko.cache.mode", context.mode(),
        "nameko.cache.outcome", outcome == null ? "unknown" : outcome.tag(),
        "nameko.cache.fallback.reason", context.fallbackReason(),
        "nameko.cache.control", context.cacheControl());
  }
}
