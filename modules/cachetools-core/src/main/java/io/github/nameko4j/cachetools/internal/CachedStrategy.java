package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CacheEventListener.FallbackCause;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.rpc.internal.Futures;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CachedRpcProxy: always ask the service, cache every reply, answer from the cache when the
 * service fails or (with a failover timeout and a cached reply) is too slow.
 *
 * <p>One RPC per key at a time in this process: callers that arrive while it is in flight share
 * its outcome, and the key stays taken until the RPC itself ends, so a slow or hung service gets
 * one pending call per key, not one per caller; once the cache answered for that RPC (failover),
 * callers arriving before it ends get that answer at once.
 */
final class CachedStrategy {
  private static final Logger LOG = LoggerFactory.getLogger(CachedStrategy.class);

  private final String service;
  private final ServiceCall rpc;
  private final StoreAccess store;
  private final Executor executor;
  private final ScheduledExecutorService scheduler;
  private final SafeListener events;
  private final SingleFlight<CachedReply> flights = new SingleFlight<>();
  private final FailSafeThrottle throttle;
  private final Map<Duration, TimeLimiter> limiters = new ConcurrentHashMap<>();

  CachedStrategy(String service, ServiceCall rpc, StoreAccess store, Executor executor, ScheduledExecutorService scheduler,
      SafeListener events, FailSafeThrottle throttle) {
    this.service = service;
    this.rpc = rpc;
    this.store = store;
    this.executor = executor;
    this.scheduler = scheduler;
    this.events = events;
    this.throttle = throttle;
  }

  CompletableFuture<CachedReply> call(CallRequest r) {
    if (r.directives().isNoCache()) {
      return fresh(r);
    }
    Throwable throttledBy = throttle.cause(r.key());
    if (throttledBy != null) {
      return throttled(r, throttledBy);
    }
    return join(r);
  }

  /**
   * A call carrying {@code no-cache}: the service's answer or its error, never the cache's (the
   * caller asked for a fresh one); the reply is cached as usual, unless {@code no-store}.
   */
  private CompletableFuture<CachedReply> fresh(CallRequest r) {
    long seen = store.seenNow();
    return rpc.call(r).thenApply(value -> {
      throttle.end(r.key());
      store.saveInBackground(r, value, seen);
      return CachedReply.of(value, CachedReply.Source.SERVICE, null);
    });
  }

  /** The key's RPC in flight, unless an invalidation of the key came since it started; else a new one. */
  private CompletableFuture<CachedReply> join(CallRequest r) {
    long seen = store.seenNow();
    return flights.join(r.flightKey(), seen, started -> store.outdated(r, started), () -> flight(r, seen));
  }

  /** Within the fail-safe window: the cache answers at once; one probe at a time asks the service. */
  private CompletableFuture<CachedReply> throttled(CallRequest r, Throwable cause) {
    CompletableFuture<CachedReply> probe = flights.isFlying(r.flightKey()) ? null : join(r);
    return store.lookup(r).thenCompose(hit -> {
      if (!store.acceptableForFallback(r, hit)) {
        return probe != null ? probe : join(r);
      }
      events.onFallback(service, r.method(), FallbackCause.THROTTLED);
      return CompletableFuture.completedFuture(CachedReply.of(hit.value(), CachedReply.Source.CACHE, cause));
    });
  }

  private SingleFlight.Flight<CachedReply> flight(CallRequest r, long seen) {
    CompletableFuture<CachedReply> result = new CompletableFuture<>();
    CompletableFuture<Void> settled = new CompletableFuture<>();
    CachedLookup cached = new CachedLookup(r);
    CompletableFuture<Object> call = rpc.call(r);
    call.whenComplete((value, error) -> {
      if (error == null) {
        throttle.end(r.key());
        // Answer at once, as a plain call would; the reply is encoded and stored off this
        // delivery thread, and a lookup of the key (a call failing right after) waits for it.
        store.saveInBackground(r, value, seen);
        settled.complete(null);
        if (!result.complete(CachedReply.of(value, CachedReply.Source.SERVICE, null))) {
          events.onLateReplyCached(service, r.method()); // a late reply still refreshes the cache
        }
        return;
      }
      // The RPC is over: free the key first, so that whoever got this outcome and calls again
      // starts a new RPC rather than joining this one.
      Throwable cause = Futures.cause(error);
      if (!r.policy().fallbackOn().test(cause)) {
        settled.complete(null);
        result.completeExceptionally(cause);
        return;
      }
      cached.get().whenComplete((hit, e) -> {
        if (hit != null && !result.isDone()) {
          throttle.start(r.key(), r.policy().failSafeThrottle(), cause);
        }
        settled.complete(null);
        if (hit == null) {
          result.completeExceptionally(cause);
        } else if (result.complete(CachedReply.of(hit.value(), CachedReply.Source.CACHE, cause))) {
          events.onFallback(service, r.method(), FallbackCause.ERROR);
          LOG.debug("{}.{} failed ({}); answered from the cache", service, r.method(), cause.toString());
        }
      });
    });
    Duration failover = r.policy().failoverTimeout();
    if (!failover.isZero()) {
      limiter(failover).executeCompletionStage(scheduler, call::copy).whenComplete((v, error) -> {
        if (error != null && Futures.cause(error) instanceof TimeoutException) {
          // Worded by the call, not by the timer (Resilience4j names its TimeLimiter).
          TimeoutException timeout = new TimeoutException("no reply from " + service + "." + r.method() + " within "
              + failover.toMillis() + " ms");
          // Nothing cached: keep waiting for the service, like a plain call.
          cached.get().whenComplete((hit, e) -> {
            if (hit != null && result.complete(CachedReply.of(hit.value(), CachedReply.Source.CACHE, timeout))) {
              events.onFallback(service, r.method(), FallbackCause.TIMEOUT);
              throttle.start(r.key(), r.policy().failSafeThrottle(), timeout);
              LOG.debug("{}.{} did not answer within {} ms; answered from the cache", service, r.method(), failover.toMillis());
            }
          });
        }
      });
    }
    return new SingleFlight.Flight<>(result, settled);
  }

  /**
   * The store is read only when the cache may answer: on failure, or when the failover timer
   * fires; a healthy call never waits for, or spends CPU on, a lookup. Started at most once per
   * flight, from the executor (failures and timers fire on the RPC client's threads).
   */
  private final class CachedLookup {
    private final CallRequest request;
    private final AtomicReference<CompletableFuture<StoreAccess.Hit>> once = new AtomicReference<>();

    CachedLookup(CallRequest request) {
      this.request = request;
    }

    CompletableFuture<StoreAccess.Hit> get() {
      CompletableFuture<StoreAccess.Hit> mine = new CompletableFuture<>();
      if (!once.compareAndSet(null, mine)) {
        return once.get();
      }
      OffThread.run(executor, () -> store.lookup(request)
          .whenComplete((hit, e) -> mine.complete(e == null && store.acceptableForFallback(request, hit) ? hit : null)));
      return mine;
    }
  }

  private TimeLimiter limiter(Duration timeout) {
    return limiters.computeIfAbsent(timeout, d -> TimeLimiter.of(
        "cachetools-" + service + "-" + d.toMillis() + "ms",
        TimeLimiterConfig.custom().timeoutDuration(d).cancelRunningFuture(false).build()));
  }
}
