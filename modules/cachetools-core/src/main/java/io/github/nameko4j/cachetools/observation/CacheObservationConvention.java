package io.github.nameko4j.cachetools.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/** Names and tags of calls through the caching proxies; implement it to change them. */
public interface CacheObservationConvention extends ObservationConvention<CacheObservationContext> {
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof CacheObservationContext;
  }
}
