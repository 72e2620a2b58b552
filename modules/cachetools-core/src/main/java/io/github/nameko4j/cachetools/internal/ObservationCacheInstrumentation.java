package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CacheDirectives;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.observation.CacheObservationContext;
import io.github.nameko4j.cachetools.observation.CacheObservationContext.Outcome;
import io.github.nameko4j.cachetools.observation.CacheObservationConvention;
import io.github.nameko4j.cachetools.observation.DefaultCacheObservationConvention;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.rpc.RpcTimeoutException;
import io.github.nameko4j.rpc.TransportException;
import io.github.nameko4j.rpc.internal.Futures;
import io.github.nameko4j.rpc.internal.Instrumentation;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.concurrent.TimeoutException;

/** {@link CacheInstrumentation} with Micrometer's Observation API; loaded only when a registry is configured. */
public final class ObservationCacheInstrumentation implements CacheInstrumentation {
  private final ObservationRegistry registry;
  private final CacheObservationConvention convention; // null: the default

  private ObservationCacheInstrumentation(ObservationRegistry registry, CacheObservationConvention convention) {
    this.registry = registry;
    this.convention = convention;
  }

  /** For a registry and convention a builder kept as Objects (so that it loads without Micrometer). */
  public static CacheInstrumentation of(Object registry, Object convention) {
    return new ObservationCacheInstrumentation((ObservationRegistry) registry, (CacheObservationConvention) convention);
  }

  @Override
  public Observed start(String service, String method, CachingInvoker.Mode mode, CacheDirectives directives) {
    // The context is built in the supplier: Micrometer calls it only when a handler will observe.
    Observation observation = Observation.createNotStarted(convention, DefaultCacheObservationConvention.INSTANCE,
        () -> new CacheObservationContext(service, method, mode == CachingInvoker.Mode.CACHED ? "cached" : "cache_first",
            directives.names()), registry);
    if (observation.isNoop()) {
      return Observed.NONE;
    }
    observation.start();
    CacheObservationContext context = (CacheObservationContext) observation.getContext();
    return new Observed() {
      @Override
      public Instrumentation.Scope openScope() {
        Observation.Scope scope = observation.openScope();
        return scope::close;
      }

      @Override
      public void stop(CachedReply reply, Throwable error) {
        if (error != null) {
          context.complete(Outcome.ERROR, "none");
          observation.error(Futures.cause(error));
        } else if (reply.source() == CachedReply.Source.CACHE) {
          // The cache answered for a failing or slow service (a fallback), or from a fresh entry (a hit).
          context.complete(reply.fallbackCause().isPresent() ? Outcome.FALLBACK : Outcome.HIT,
              reply.fallbackCause().map(ObservationCacheInstrumentation::reason).orElse("none"));
        } else {
          context.complete(mode == CachingInvoker.Mode.CACHED ? Outcome.SERVICE : Outcome.MISS, "none");
        }
        observation.stop();
      }
    };
  }

  private static String reason(Throwable cause) {
    Throwable t = Futures.cause(cause);
    if (t instanceof TimeoutException || t instanceof RpcTimeoutException) {
      return "timeout";
    }
    if (t instanceof RemoteServiceException) {
      return "remote_error";
    }
    if (t instanceof TransportException) {
      return "transport";
    }
    return "other";
  }
}
