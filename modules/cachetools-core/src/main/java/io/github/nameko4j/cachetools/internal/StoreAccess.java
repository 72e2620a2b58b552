package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.CacheStoreException;
import io.github.nameko4j.cachetools.ValueCodec;
import io.github.nameko4j.rpc.internal.Futures;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every store operation on a call's path, bounded in time and unable to fail the call: errors,
 * timeouts and undecodable entries are misses (logged, counted, the bad entry deleted). Decoding
 * runs on the proxy's executor, never on a store's I/O thread. Thread-safe.
 */
final class StoreAccess {
  private static final Logger LOG = LoggerFactory.getLogger(StoreAccess.class);

  /**
   * What a lookup found: a decoded entry; or {@link #unknown} when the store could not say within
   * the caller's budget (slow, failing, or skipping itself), with the store's answer still to come
   * in {@code late} (completes with a hit or null, never exceptionally).
   */
  record Hit(Object value, long freshUntil, CompletableFuture<Hit> late) {
    private static final CompletableFuture<Hit> NOTHING = CompletableFuture.completedFuture(null);

    Hit(Object value, long freshUntil) {
      this(value, freshUntil, null);
    }

    static Hit unknown(CompletableFuture<Hit> late) {
      return new Hit(null, Long.MIN_VALUE, late);
    }

    static Hit unknown() {
      return unknown(NOTHING);
    }

    /** True if this is an entry the store holds, not a lookup that could not say. */
    boolean known() {
      return late == null;
    }
  }

  /** True if {@code hit} is an entry (fresh or stale), not a miss or an unknown. */
  static boolean present(Hit hit) {
    return hit != null && hit.known();
  }

  /** Entries up to this size are decoded on the thread the store answers on; bigger ones on the executor. */
  static final int INLINE_DECODE_MAX_BYTES = 16 * 1024;

  private final String service;
  private final CacheStore store;
  private final ValueCodec codec;
  private final Executor executor;
  private final ScheduledExecutorService scheduler;
  private final Duration readTimeout;
  private final Duration writeTimeout;
  private final SafeListener events;
  private final Clock clock;
  private final boolean storeBoundsItself;
  private final ThrottledLog log = new ThrottledLog(LOG, Duration.ofSeconds(10));
  // Replies being encoded and stored: a lookup, delete or invalidation of the key waits for them,
  // so a caller who got a reply finds it cached (and an invalidation is never undone by a late save).
  private final Map<String, CompletableFuture<Void>> saving = new ConcurrentHashMap<>();
  private final RecentReplies recent;

  StoreAccess(String service, CacheStore store, ValueCodec codec, Executor executor, ScheduledExecutorService scheduler,
      Duration readTimeout, Duration writeTimeout, SafeListener events, Clock clock) {
    this.service = service;
    this.store = store;
    this.codec = codec;
    this.executor = executor;
    this.scheduler = scheduler;
    this.readTimeout = readTimeout;
    this.writeTimeout = writeTimeout;
    this.events = events;
    this.clock = clock;
    this.storeBoundsItself = store.boundsItsOwnLatency();
    this.recent = new RecentReplies(clock);
  }

  /** Remembers a reply this process got or found, for when the store cannot say (see {@link RecentReplies}). */
  void remember(String key, Object value, long freshUntil) {
    recent.remember(key, new Hit(value, freshUntil));
  }

  /** A fresh reply this process got or found for {@code key} in the last seconds, or null. */
  Hit recent(String key) {
    Hit hit = recent.get(key);
    return fresh(hit) ? hit : null;
  }

  /** When a reply for {@code key} that comes now would stop being fresh. */
  long freshUntil(CachePolicy policy) {
    Duration ttl = policy.ttl();
    return ttl == null ? Entry.NO_DEADLINE : clock.millis() + ttl.toMillis();
  }

  CacheStore store() {
    return store;
  }

  boolean fresh(Hit hit) {
    return hit != null && clock.millis() < hit.freshUntil();
  }

  /**
   * The decoded entry under {@code key}; null when the store has none; {@link Hit#unknown} when it
   * could not say within the read budget (the store's {@link CacheStore#lookupBudget()}, else the
   * proxy's {@code storeTimeout}), failed, or skipped itself. Never fails. A small entry is decoded
   * on the thread the store answers on (the caller's, for an in-process store), a big one on the
   * executor; callers of the async API get their futures off the store's threads (see {@link
   * Delivery}).
   */
  CompletableFuture<Hit> lookup(String key) {
    CompletableFuture<Void> pending = saving.get(key);
    if (pending != null) {
      return pending.thenCompose(v -> lookup(key));
    }
    CompletableFuture<byte[]> raw = get(key);
    if (raw.isDone() && !raw.isCompletedExceptionally()) {
      return CompletableFuture.completedFuture(decode(key, raw.join())); // in process, or a near cache: at once
    }
    return answerOf(key, raw);
  }

  /** The store's get; a store that throws instead of failing its future gets a failed future. */
  private CompletableFuture<byte[]> get(String key) {
    try {
      return Objects.requireNonNull(store.get(key), "store returned a null future");
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** A lookup the store did not answer at once: decoded on the executor, within the read budget. */
  private CompletableFuture<Hit> answerOf(String key, CompletableFuture<byte[]> raw) {
    if (raw.isDone()) { // failed at once, or answered since lookup() looked
      return CompletableFuture.completedFuture(raw.isCompletedExceptionally() ? failedRead(raw.handle((v, e) -> e).join())
          : decode(key, raw.join()));
    }
    Duration budget = store.lookupBudget();
    if (budget == null) {
      budget = readTimeout;
    }
    if (!storeBoundsItself) {
      // Whatever the store does, nobody waits on it for long (the late answer included).
      raw = Bounded.within(raw, budget.compareTo(writeTimeout) > 0 ? budget : writeTimeout, scheduler, "cache lookup");
    }
    // A small entry is decoded where the store's answer lands (its I/O thread): decoding is
    // bounded (the codec caps depth, lengths and keys) and a hand-off would cost more than it does.
    // A big one goes to the executor, so that one large entry never holds the store's I/O up.
    CompletableFuture<Hit> answer = new CompletableFuture<>();
    raw.whenComplete((bytes, error) -> {
      if (error == null && bytes != null && bytes.length > INLINE_DECODE_MAX_BYTES) {
        OffThread.run(executor, () -> answer.complete(decode(key, bytes)));
      } else {
        answer.complete(error != null ? failedRead(error) : decode(key, bytes));
      }
    });
    return withinBudget(answer, budget);
  }

  /** The store's answer, or {@link Hit#unknown} with that answer to come once {@code budget} passes. */
  private CompletableFuture<Hit> withinBudget(CompletableFuture<Hit> answer, Duration budget) {
    CompletableFuture<Hit> soft = new CompletableFuture<>();
    answer.whenComplete((hit, error) -> soft.complete(hit));
    if (!soft.isDone()) {
      Deadlines.shared().watch(soft, budget,
          () -> soft.complete(Hit.unknown(answer.thenApply(hit -> hit != null && hit.known() ? hit : null))));
    }
    return soft;
  }

  /** A get that failed: unknown; logged and counted unless the store skipped it on purpose. */
  private Hit failedRead(Throwable failure) {
    Throwable error = Futures.cause(failure);
    if (!skipped(error)) {
      failed("get", error);
    }
    return Hit.unknown();
  }

  private static boolean skipped(Throwable error) {
    return error instanceof CacheStoreException && ((CacheStoreException) error).reason() == CacheStoreException.Reason.SKIPPED;
  }

  /** Any failure to decode, an Error included, is a miss: the entry is deleted and the service asked. */
  private Hit decode(String key, byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      return new Hit(codec.decode(Entry.payload(bytes)), Entry.freshUntil(bytes));
    } catch (Throwable e) { // CodecException, a bug in a user codec, or an Error from hostile bytes
      log.warn("dropping undecodable cache entry {} ({} bytes): {}", key, bytes.length, e.toString());
      events.onStoreError(service, "decode", e);
      delete(key);
      return null;
    }
  }

  /**
   * Encodes and stores a reply on the executor, so that the reply reaches its caller without
   * waiting for either. Until it is done, lookups, deletes and invalidations of the key wait for
   * it. Writes of one key run one at a time, in order; a reply still waiting for its turn when a
   * newer one comes is skipped, so a hot key on a slow store never queues up writes. The future
   * completes (never exceptionally) once the store has it, failed, timed out or was skipped.
   */
  CompletableFuture<Void> saveInBackground(String key, String method, Object value, CachePolicy policy) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    long replyAt = clock.millis(); // ttls run from when the reply came, not from when it is stored
    CompletableFuture<Void> before = saving.put(key, done);
    Runnable finish = () -> {
      saving.remove(key, done);
      done.complete(null);
    };
    Runnable work = () -> {
      if (saving.get(key) != done) {
        finish.run(); // a newer reply of this key came meanwhile: only the newest is written
        return;
      }
      try {
        save(key, method, value, policy, replyAt).whenComplete((v, e) -> finish.run());
      } catch (RuntimeException | Error e) { // never leave the key's lookups waiting
        finish.run();
        throw e;
      }
    };
    if (before == null) {
      OffThread.run(executor, work);
    } else {
      before.whenComplete((v, e) -> OffThread.run(executor, work)); // saves of one key in the order they came
    }
    return done;
  }

  /**
   * Encodes and stores a reply. The future completes (never exceptionally) when the store has it,
   * failed, or took longer than the write timeout. Call it off I/O threads: encoding is work.
   */
  CompletableFuture<Void> save(String key, String method, Object value, CachePolicy policy) {
    return save(key, method, value, policy, clock.millis());
  }

  /** Stores a reply that came at {@code replyAt}: its freshness and its life in the store count from then. */
  private CompletableFuture<Void> save(String key, String method, Object value, CachePolicy policy, long replyAt) {
    Duration ttl = policy.ttl();
    long freshUntil = ttl == null ? Entry.NO_DEADLINE : replyAt + ttl.toMillis();
    byte[] payload;
    try {
      payload = codec.encode(value);
    } catch (RuntimeException | StackOverflowError e) { // CodecException, or a bug in a user codec
      log.warn("reply of {}.{} returned uncached: {}", service, method, e.getMessage());
      return CompletableFuture.completedFuture(null);
    }
    // The store counts its expiry from when it gets the entry: give it what is left of the
    // entry's life, read as late as possible (after encoding, which takes time).
    Duration storeTtl = policy.storeTtl();
    if (storeTtl != null) {
      long left = storeTtl.toMillis() - Math.max(0, clock.millis() - replyAt);
      if (left <= 0) {
        return CompletableFuture.completedFuture(null); // it would be gone already
      }
      storeTtl = Duration.ofMillis(left);
    }
    CompletableFuture<Void> put;
    try {
      put = Objects.requireNonNull(store.put(key, Entry.wrap(freshUntil, payload), storeTtl), "store returned a null future");
    } catch (RuntimeException e) {
      failed("put", e);
      return CompletableFuture.completedFuture(null);
    }
    // A self-bounded store (Redis) ends a write only at its own hard timeout: slow is not down.
    return (storeBoundsItself ? put : Bounded.within(put, writeTimeout, scheduler, "cache write")).handle((v, error) -> {
      if (error != null && !skipped(Futures.cause(error))) {
        failed("put", Futures.cause(error));
      }
      return null;
    });
  }

  /** True if {@code owner} now holds the lease, or if the store could not say (never blocks a call). */
  CompletableFuture<Boolean> tryLease(String key, String owner, Duration ttl) {
    CompletableFuture<Boolean> lease;
    try {
      lease = Objects.requireNonNull(store.tryLease(key, owner, ttl), "store returned a null future");
    } catch (RuntimeException e) {
      failed("lease", e);
      return CompletableFuture.completedFuture(true);
    }
    return Bounded.within(lease, readTimeout, scheduler, "cache lease").handleAsync((granted, error) -> {
      if (error != null) {
        failed("lease", Futures.cause(error));
        return true;
      }
      return !Boolean.FALSE.equals(granted);
    }, executor);
  }

  /** Releases a lease; bounded, fire and forget. */
  void releaseLease(String key, String owner) {
    try {
      Bounded.within(store.releaseLease(key, owner), writeTimeout, scheduler, "lease release")
          .whenComplete((v, error) -> {
            if (error != null) {
              failed("release", Futures.cause(error));
            }
          });
    } catch (RuntimeException e) {
      failed("release", e);
    }
  }

  /** Deletes one entry (after a save of it under way); the future completes, never exceptionally, once done or given up. */
  CompletableFuture<Void> delete(String key) {
    recent.forget(key);
    CompletableFuture<Void> pending = saving.get(key);
    if (pending != null) {
      return pending.thenCompose(v -> delete(key));
    }
    try {
      return Bounded.within(store.delete(key), writeTimeout, scheduler, "cache delete").handle((v, error) -> {
        if (error != null && !skipped(Futures.cause(error))) {
          failed("delete", Futures.cause(error));
        }
        return null;
      });
    } catch (RuntimeException e) {
      failed("delete", e);
      return CompletableFuture.completedFuture(null);
    }
  }

  /**
   * Invalidation by prefix, after the saves of matching keys under way: an explicit request, so
   * its failure is reported to the caller.
   */
  CompletableFuture<Long> deleteByPrefix(String prefix) {
    recent.forgetPrefix(prefix);
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    saving.forEach((key, done) -> {
      if (key.startsWith(prefix)) {
        pending.add(done);
      }
    });
    if (!pending.isEmpty()) {
      return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).thenCompose(v -> deleteByPrefix(prefix));
    }
    try {
      return store.deleteByPrefix(prefix);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private void failed(String operation, Throwable error) {
    log.warn("cache store {} failed for {}: {}", operation, service, error.toString());
    events.onStoreError(service, operation, error);
  }
}
