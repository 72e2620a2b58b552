package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CacheDirectives;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.rpc.internal.Instrumentation;

/**
 * Observing calls through a proxy. Free of Micrometer types, so the proxies load without
 * micrometer-observation; {@link #NONE} unless a registry was configured.
 */
public interface CacheInstrumentation {
  /** Observes nothing. */
  CacheInstrumentation NONE = (service, method, mode, directives) -> Observed.NONE;

  /** Starts observing one call, on the caller's thread (so the caller's current span is its parent). */
  Observed start(String service, String method, CachingInvoker.Mode mode, CacheDirectives directives);

  /** One call under way. */
  interface Observed {
    /** Nothing observed. */
    Observed NONE = new Observed() {
      @Override
      public Instrumentation.Scope openScope() {
        return Instrumentation.Scope.NONE;
      }

      @Override
      public void stop(CachedReply reply, Throwable error) {}
    };

    /** Current on this thread until closed: the rpc call made inside is its child. */
    Instrumentation.Scope openScope();

    /** Ends it with where the reply came from, or the caller's error. */
    void stop(CachedReply reply, Throwable error);
  }
}
