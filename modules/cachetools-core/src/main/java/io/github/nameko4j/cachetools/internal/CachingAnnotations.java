package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.Caching;

/** Applies a {@link Caching} annotation to a policy; shared by the builders and framework integrations. */
public final class CachingAnnotations {
  private CachingAnnotations() {}

  /**
   * {@code base} with each setting the annotation gives replaced, the others kept.
   *
   * @param where what the annotation is on, for error messages (e.g. {@code OtherService.doSomething})
   * @throws IllegalArgumentException a setting is not a valid duration; the message names it and where
   */
  public static CachePolicy apply(CachePolicy base, Caching caching, String where) {
    CachePolicy.Builder b = CachePolicy.from(base);
    try {
      if (!caching.ttl().isEmpty()) {
        b.ttl(Durations.parse("@Caching(ttl) on " + where, caching.ttl()));
      }
      if (!caching.staleWindow().isEmpty()) {
        b.staleWindow(Durations.parse("@Caching(staleWindow) on " + where, caching.staleWindow()));
      }
      if (!caching.failoverTimeout().isEmpty()) {
        b.failoverTimeout(Durations.parse("@Caching(failoverTimeout) on " + where, caching.failoverTimeout()));
      }
      return b.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      String message = e.getMessage().startsWith("@Caching") ? e.getMessage() : "@Caching on " + where + ": " + e.getMessage();
      throw new IllegalArgumentException(message, e);
    }
  }
}
