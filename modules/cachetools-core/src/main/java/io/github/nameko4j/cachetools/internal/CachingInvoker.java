package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.CacheEventListener;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.ValueCodec;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.internal.Names;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind both proxies. Thread-safe and stateless per call; the cache is the store.
 *
 * <p>Store trouble (errors, slowness past {@code storeTimeout}, undecodable entries) is a miss,
 * logged and never thrown: a cache problem must not break a call the service could answer.
 */
public final class CachingInvoker {
  private static final Logger LOG = LoggerFactory.getLogger(CachingInvoker.class);

  /** The two strategies of the original. */
  public enum Mode { CACHED, CACHE_FIRST }

  /** A decoded cache entry. */
  static final class Hit {
    final Object value;
    final long freshUntil;

    Hit(Object value, long freshUntil) {
      this.value = value;
      this.freshUntil = freshUntil;
    }
  }

  private final Mode mode;
  private final NamekoRpcClient client;
  private final String service;
  private final CacheStore store;
  private final ValueCodec codec;
  private final CachePolicy defaultPolicy;
  private final Map<String, CachePolicy> policies;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Duration storeTimeout;
  private final String keyPrefix;
  private final SafeListener events;
  private final boolean storeBoundsItself;
  // Single flight: one call per key at a time in this process; callers that miss meanwhile share it.
  private final Map<String, CompletableFuture<CachedReply>> inflight = new ConcurrentHashMap<>();
  private final Duration leaseTtl; // null: no cross-replica lease
  private final Duration leaseWait;
  private final String leaseOwner = io.github.nameko4j.rpc.internal.Ids.uuid();
  private final Map<Duration, TimeLimiter> limiters = new ConcurrentHashMap<>();
  private final ThrottledLog storeLog = new ThrottledLog(LOG, Duration.ofSeconds(10));

  public CachingInvoker(Mode mode, NamekoRpcClient client, String service, CacheStore store, ValueCodec codec,
      CachePolicy defaultPolicy, Map<String, CachePolicy> policies, Clock clock, ScheduledExecutorService scheduler,
      Duration storeTimeout, Duration leaseTtl, Duration leaseWait, CacheEventListener listener) {
    this.events = new SafeListener(listener);
    this.storeBoundsItself = store.boundsItsOwnLatency();
    this.leaseTtl = leaseTtl;
    this.leaseWait = leaseWait;
    this.mode = mode;
    this.client = client;
    this.service = service;
    this.store = store;
    this.codec = codec;
    this.defaultPolicy = defaultPolicy;
    this.policies = Map.copyOf(policies);
    this.clock = clock;
    this.scheduler = scheduler;
    this.storeTimeout = storeTimeout;
    // The codec's id leads every key: a deploy whose codec or registrations changed reads no old entries.
    this.keyPrefix = codec.id() + ":";
  }

  public String service() {
    return service;
  }

  public CachePolicy policyFor(String method) {
    return policies.getOrDefault(method, defaultPolicy);
  }

  /**
   * Calls {@code method} through the cache.
   *
   * @throws IllegalArgumentException a null or invalid method name, or null args/kwargs
   */
  public CompletableFuture<Object> invoke(String method, List<?> args, Map<String, ?> kwargs) {
    return invokeDetailed(method, args, kwargs).thenApply(CachedReply::value);
  }

  /** As {@link #invoke}, saying where the reply came from. */
  public CompletableFuture<CachedReply> invokeDetailed(String method, List<?> args, Map<String, ?> kwargs) {
    Names.require("method", method);
    Objects.requireNonNull(args, "args must not be null (use List.of())");
    Objects.requireNonNull(kwargs, "kwargs must not be null (use Map.of())");
    String key;
    try {
      key = keyPrefix + CacheKeys.derive(service, method, args, kwargs);
    } catch (CodecException e) {
      return CompletableFuture.failedFuture(
          new CodecException("cannot call " + service + "." + method + ": " + e.getMessage(), e));
    }
    CachePolicy policy = policyFor(method);
    return mode == Mode.CACHED
        ? flight(key, () -> cached(method, args, kwargs, key, policy))
        : cacheFirst(method, args, kwargs, key, policy);
  }

  private CompletableFuture<CachedReply> cacheFirst(String method, List<?> args, Map<String, ?> kwargs, String key, CachePolicy policy) {
    long lookupBegan = ticks.get();
    return lookup(key).thenCompose(hit -> {
      if (fresh(hit)) {
        events.onHit(service, method);
        if (policy.refreshAhead() > 0 && policy.ttl() != null) {
          long refreshAt = hit.freshUntil - (long) (policy.ttl().toMillis() * (1 - policy.refreshAhead()));
          if (clock.millis() >= refreshAt) {
            refreshInBackground(method, args, kwargs, key, policy);
          }
        }
        return CompletableFuture.completedFuture(CachedReply.of(hit.value, CachedReply.Source.CACHE, null));
      }
      Finished recent = finished.get(key);
      if (recent != null && recent.tick() > lookupBegan) {
        // a flight ended while we looked: its reply is as new as anything we would fetch
        return CompletableFuture.completedFuture(recent.reply());
      }
      events.onMiss(service, method);
      return flight(key, () -> fetch(method, args, kwargs, key, policy));
    });
  }

  /**
   * Refreshes an entry nearing its ttl while callers keep getting it: once per key in this
   * process (a flight of its own), and with the lease on, once across replicas.
   */
  private void refreshInBackground(String method, List<?> args, Map<String, ?> kwargs, String key, CachePolicy policy) {
    String refreshKey = "refresh:" + key;
    if (inflight.containsKey(refreshKey)) {
      return;
    }
    events.onRefreshAhead(service, method);
    flight(refreshKey, () -> {
      if (leaseTtl == null) {
        return callAndSave(method, args, kwargs, key, policy);
      }
      return tryLease(key).thenCompose(granted -> {
        if (!granted) {
          return CompletableFuture.completedFuture(null); // another replica is refreshing it
        }
        return callAndSave(method, args, kwargs, key, policy).whenComplete((r, e) -> store.releaseLease(key, leaseOwner));
      });
    }).exceptionally(e -> {
      LOG.debug("background refresh of {}.{} failed: {}", service, method, e.toString());
      return null;
    });
  }

  private boolean fresh(Hit hit) {
    return hit != null && clock.millis() < hit.freshUntil;
  }

  /** Joins the call in flight for {@code key}, or starts one; the slot is freed when it completes. */
  private CompletableFuture<CachedReply> flight(String key, java.util.function.Supplier<CompletableFuture<CachedReply>> start) {
    CompletableFuture<CachedReply> mine = new CompletableFuture<>();
    CompletableFuture<CachedReply> existing = inflight.putIfAbsent(key, mine);
    if (existing != null) {
      return existing;
    }
    try {
      start.get().whenComplete((reply, error) -> {
        if (error == null) {
          // A caller whose lookup began before this reply was stored may still miss; it may take
          // this reply instead of calling again (see cacheFirst). Later lookups never see it.
          Finished done = new Finished(ticks.incrementAndGet(), reply);
          finished.put(key, done);
          inflight.remove(key, mine);
          mine.complete(reply);
          scheduler.schedule(() -> finished.remove(key, done), FLIGHT_MEMORY.toNanos(), TimeUnit.NANOSECONDS);
        } else {
          inflight.remove(key, mine);
          mine.completeExceptionally(unwrap(error));
        }
      });
    } catch (RuntimeException e) {
      inflight.remove(key, mine);
      mine.completeExceptionally(e);
    }
    return mine;
  }

  /**
   * CacheFirst miss, owning this process's flight: look again (a flight may have just finished),
   * then, with the lease on, let one replica fetch while the others wait for its entry.
   */
  private CompletableFuture<CachedReply> fetch(String method, List<?> args, Map<String, ?> kwargs, String key, CachePolicy policy) {
    if (leaseTtl == null) {
      return callAndSave(method, args, kwargs, key, policy);
    }
    return lookup(key).thenCompose(hit -> {
      if (fresh(hit)) {
        return CompletableFuture.completedFuture(CachedReply.of(hit.value, CachedReply.Source.CACHE, null));
      }
      return tryLease(key).thenCompose(granted -> granted
          ? leased(method, args, kwargs, key, policy)
          : awaitEntry(key, System.nanoTime() + leaseWait.toNanos())
              .thenCompose(found -> found != null
                  ? CompletableFuture.completedFuture(CachedReply.of(found.value, CachedReply.Source.CACHE, null))
                  : callAndSave(method, args, kwargs, key, policy)));
    });
  }

  private CompletableFuture<Boolean> tryLease(String key) {
    try {
      return store.tryLease(key, leaseOwner, leaseTtl).exceptionally(e -> true);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(true); // a broken store never blocks a call
    }
  }

  /** We hold the lease: look once more (its previous owner may have just written), fetch, release. */
  private CompletableFuture<CachedReply> leased(String method, List<?> args, Map<String, ?> kwargs, String key, CachePolicy policy) {
    CompletableFuture<CachedReply> result = lookup(key).thenCompose(hit -> fresh(hit)
        ? CompletableFuture.completedFuture(CachedReply.of(hit.value, CachedReply.Source.CACHE, null))
        : callAndSave(method, args, kwargs, key, policy));
    return result.whenComplete((r, e) -> {
      try {
        store.releaseLease(key, leaseOwner);
      } catch (RuntimeException ex) {
        storeLog.warn("cache store lease release failed for {}: {}", key, ex.toString());
      }
    });
  }

  /** Polls for the entry another replica is fetching; null once {@code deadlineNanos} passes. */
  private CompletableFuture<Hit> awaitEntry(String key, long deadlineNanos) {
    CompletableFuture<Hit> result = new CompletableFuture<>();
    pollEntry(key, deadlineNanos, result);
    return result;
  }

  private void pollEntry(String key, long deadlineNanos, CompletableFuture<Hit> result) {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      result.complete(null);
      return;
    }
    scheduler.schedule(() -> lookup(key).thenAccept(hit -> {
      if (fresh(hit)) {
        result.complete(hit);
      } else {
        pollEntry(key, deadlineNanos, result);
      }
    }), Math.min(LEASE_POLL.toNanos(), left), TimeUnit.NANOSECONDS);
  }

  private static final Duration LEASE_POLL = Duration.ofMillis(10);
  private static final Duration FLIGHT_MEMORY = Duration.ofSeconds(1);

  /** A flight that ended with a reply, stamped with the logical time it ended. */
  private record Finished(long tick, CachedReply reply) {}

  private final java.util.concurrent.atomic.AtomicLong ticks = new java.util.concurrent.atomic.AtomicLong();
  private final Map<String, Finished> finished = new ConcurrentHashMap<>();

  /**
   * Calls the service and stores the reply. With the lease on, completes only once the reply is
   * stored, so the replicas waiting for it find it; otherwise the write is not on the caller's path.
   */
  private CompletableFuture<CachedReply> callAndSave(String method, List<?> args, Map<String, ?> kwargs, String key, CachePolicy policy) {
    return rpc(method, args, kwargs).thenCompose(value -> {
      CompletableFuture<Void> stored = save(key, method, value, policy);
      CachedReply reply = CachedReply.of(value, CachedReply.Source.SERVICE, null);
      return leaseTtl == null ? CompletableFuture.completedFuture(reply) : stored.thenApply(v -> reply);
    });
  }

  private CompletableFuture<CachedReply> cached(String method, List<?> args, Map<String, ?> kwargs, String key, CachePolicy policy) {
    CompletableFuture<Object> rpc = rpc(method, args, kwargs);
    // The store is read only when the cache may answer: on failure, or when the failover timer
    // fires. A healthy call never waits for, or spends CPU on, a lookup.
    java.util.function.Supplier<CompletableFuture<Hit>> hit = lazyLookup(key);
    CompletableFuture<CachedReply> result = new CompletableFuture<>();
    rpc.whenComplete((value, error) -> {
      if (error == null) {
        // Saved even when the caller was already answered from the cache: a late reply refreshes it.
        save(key, method, value, policy);
        if (!result.complete(CachedReply.of(value, CachedReply.Source.SERVICE, null))) {
          events.onLateReplyCached(service, method);
        }
        return;
      }
      Throwable cause = unwrap(error);
      if (!policy.fallbackOn().test(cause)) {
        result.completeExceptionally(cause);
        return;
      }
      hit.get().thenAccept(h -> {
        if (h == null) {
          result.completeExceptionally(cause);
        } else if (result.complete(CachedReply.of(h.value, CachedReply.Source.CACHE, cause))) {
          events.onFallback(service, method, CacheEventListener.FallbackCause.ERROR);
          LOG.debug("{}.{} failed ({}); answered from the cache", service, method, cause.toString());
        }
      });
    });
    Duration failover = policy.failoverTimeout();
    if (!failover.isZero()) {
      limiter(failover).executeCompletionStage(scheduler, rpc::copy).whenComplete((v, error) -> {
        Throwable cause = error == null ? null : unwrap(error);
        if (cause instanceof TimeoutException) {
          // Nothing cached: keep waiting for the service, like a plain call.
          hit.get().thenAccept(h -> {
            if (h != null && result.complete(CachedReply.of(h.value, CachedReply.Source.CACHE, cause))) {
              events.onFallback(service, method, CacheEventListener.FallbackCause.TIMEOUT);
              LOG.debug("{}.{} did not answer within {} ms; answered from the cache", service, method, failover.toMillis());
            }
          });
        }
      });
    }
    return result;
  }

  /** The RPC itself, timed for the listener. */
  private CompletableFuture<Object> rpc(String method, List<?> args, Map<String, ?> kwargs) {
    long start = System.nanoTime();
    CompletableFuture<Object> call = client.callAsync(service, method, args, kwargs);
    call.whenComplete((v, e) -> events.onCall(service, method, System.nanoTime() - start, e == null));
    return call;
  }

  /** A lookup started on first use and shared by later uses. */
  private java.util.function.Supplier<CompletableFuture<Hit>> lazyLookup(String key) {
    java.util.concurrent.atomic.AtomicReference<CompletableFuture<Hit>> once = new java.util.concurrent.atomic.AtomicReference<>();
    return () -> {
      CompletableFuture<Hit> existing = once.get();
      if (existing != null) {
        return existing;
      }
      CompletableFuture<Hit> mine = new CompletableFuture<>();
      if (!once.compareAndSet(null, mine)) {
        return once.get();
      }
      lookup(key).whenComplete((h, e) -> mine.complete(e == null ? h : null));
      return mine;
    };
  }

  private TimeLimiter limiter(Duration timeout) {
    return limiters.computeIfAbsent(timeout, d -> TimeLimiter.of(
        "cachetools-" + service + "-" + d.toMillis() + "ms",
        TimeLimiterConfig.custom().timeoutDuration(d).cancelRunningFuture(false).build()));
  }

  /** The decoded entry under {@code key}, or null: never fails, never waits past storeTimeout. */
  CompletableFuture<Hit> lookup(String key) {
    CompletableFuture<byte[]> raw;
    try {
      raw = Objects.requireNonNull(store.get(key), "store returned a null future");
    } catch (RuntimeException e) {
      storeLog.warn("cache store get failed for {}: {}", service, e.toString());
      events.onStoreError(service, "get", e);
      return CompletableFuture.completedFuture(null);
    }
    if (!raw.isDone() && !storeBoundsItself) {
      raw = raw.copy().completeOnTimeout(null, storeTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    return raw.handle((bytes, error) -> {
      if (error != null) {
        storeLog.warn("cache store get failed for {}: {}", service, unwrap(error).toString());
        events.onStoreError(service, "get", unwrap(error));
        return null;
      }
      return bytes == null ? null : decode(key, bytes);
    });
  }

  private Hit decode(String key, byte[] bytes) {
    try {
      return new Hit(codec.decode(Entry.payload(bytes)), Entry.freshUntil(bytes));
    } catch (RuntimeException e) { // CodecException, or a bug in a user codec
      storeLog.warn("dropping undecodable cache entry {} ({} bytes): {}", key, bytes.length, e.getMessage());
      delete(key);
      return null;
    }
  }

  /** Stores a reply; the future completes (never exceptionally) when the store has it or gave up. */
  CompletableFuture<Void> save(String key, String method, Object value, CachePolicy policy) {
    byte[] payload;
    try {
      payload = codec.encode(value);
    } catch (RuntimeException e) { // CodecException, or a bug in a user codec
      LOG.warn("reply of {}.{} returned uncached: {}", service, method, e.getMessage());
      return CompletableFuture.completedFuture(null);
    }
    Duration ttl = policy.ttl();
    long freshUntil = ttl == null ? Entry.NO_DEADLINE : clock.millis() + ttl.toMillis();
    try {
      return store.put(key, Entry.wrap(freshUntil, payload), policy.storeTtl()).handle((v, error) -> {
        if (error != null) {
          storeLog.warn("cache store put failed for {}.{}: {}", service, method, unwrap(error).toString());
          events.onStoreError(service, "put", unwrap(error));
        }
        return null;
      });
    } catch (RuntimeException e) {
      storeLog.warn("cache store put failed for {}.{}: {}", service, method, e.toString());
      return CompletableFuture.completedFuture(null);
    }
  }

  public CompletableFuture<Void> delete(String key) {
    try {
      return store.delete(key).exceptionally(error -> {
        storeLog.warn("cache store delete failed for {}: {}", key, unwrap(error).toString());
        return null;
      });
    } catch (RuntimeException e) {
      storeLog.warn("cache store delete failed for {}: {}", key, e.toString());
      return CompletableFuture.completedFuture(null);
    }
  }

  /** Removes every entry of {@code method}. */
  public CompletableFuture<Long> deleteMethod(String method) {
    return deletePrefix(keyPrefix + CacheKeys.methodPrefix(service, Names.require("method", method)));
  }

  /** Removes every entry of the service. */
  public CompletableFuture<Long> deleteService() {
    return deletePrefix(keyPrefix + service + ":");
  }

  private CompletableFuture<Long> deletePrefix(String prefix) {
    try {
      return store.deleteByPrefix(prefix);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The key a call would use; for invalidation. */
  public String keyOf(String method, List<?> args, Map<String, ?> kwargs) {
    return keyPrefix + CacheKeys.derive(service, Names.require("method", method), args, kwargs);
  }

  static Throwable unwrap(Throwable t) {
    return io.github.nameko4j.rpc.internal.Futures.cause(t);
  }
}
