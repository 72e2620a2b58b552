package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CacheStore;
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

  /** A decoded entry. */
  record Hit(Object value, long freshUntil) {}

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
  }

  CacheStore store() {
    return store;
  }

  boolean fresh(Hit hit) {
    return hit != null && clock.millis() < hit.freshUntil();
  }

  /**
   * The decoded entry under {@code key}, or null. Never fails and never waits past the read
   * timeout. When the store answers at once the entry is decoded on the calling thread; otherwise
   * on the executor.
   */
  CompletableFuture<Hit> lookup(String key) {
    CompletableFuture<Void> pending = saving.get(key);
    if (pending != null) {
      return pending.thenCompose(v -> lookup(key));
    }
    CompletableFuture<byte[]> raw;
    try {
      raw = Objects.requireNonNull(store.get(key), "store returned a null future");
    } catch (RuntimeException e) {
      failed("get", e);
      return CompletableFuture.completedFuture(null);
    }
    if (raw.isDone() && !raw.isCompletedExceptionally()) {
      return CompletableFuture.completedFuture(decode(key, raw.join()));
    }
    if (!storeBoundsItself) {
      raw = Bounded.within(raw, readTimeout, scheduler, "cache lookup");
    }
    return raw.handleAsync((bytes, error) -> {
      if (error != null) {
        failed("get", Futures.cause(error));
        return null;
      }
      return decode(key, bytes);
    }, executor);
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
    return Bounded.within(put, writeTimeout, scheduler, "cache write").handle((v, error) -> {
      if (error != null) {
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
    CompletableFuture<Void> pending = saving.get(key);
    if (pending != null) {
      return pending.thenCompose(v -> delete(key));
    }
    try {
      return Bounded.within(store.delete(key), writeTimeout, scheduler, "cache delete").handle((v, error) -> {
        if (error != null) {
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
