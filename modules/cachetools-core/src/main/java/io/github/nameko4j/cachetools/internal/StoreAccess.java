package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CacheDirectives;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.CacheStoreException;
import io.github.nameko4j.cachetools.ScopeStamps;
import io.github.nameko4j.cachetools.ValueCodec;
import io.github.nameko4j.rpc.internal.Futures;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every store operation on a call's path, bounded in time and unable to fail the call: errors,
 * timeouts and undecodable entries are misses (logged, counted, the bad entry deleted); entries
 * that hold data from before an invalidation, or are past the reader's own ttl, are not fresh
 * ({@link Freshness}). Thread-safe.
 */
final class StoreAccess {
  private static final Logger LOG = LoggerFactory.getLogger(StoreAccess.class);

  /**
   * What a lookup found: a decoded entry; or {@link #unknown} when the store could not say within
   * the caller's budget (slow, failing, or skipping itself), with the store's answer still to come
   * in {@code late} (completes with a hit or null, never exceptionally).
   */
  record Hit(Object value, long freshUntil, long writtenAt, long seen, List<String> tags, CompletableFuture<Hit> late) {
    private static final CompletableFuture<Hit> NOTHING = CompletableFuture.completedFuture(null);

    Hit(Object value, long freshUntil, long writtenAt, long seen, List<String> tags) {
      this(value, freshUntil, writtenAt, seen, tags, null);
    }

    static Hit unknown(CompletableFuture<Hit> late) {
      return new Hit(null, Long.MIN_VALUE, Entry.UNKNOWN_TIME, 0, List.of(), late);
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
  /** Writes sent by {@link #save} (not through {@link #saveInBackground}), until settled; for close(). */
  private final Set<CompletableFuture<Void>> writes = ConcurrentHashMap.newKeySet();
  private final RecentReplies recent;
  private final Freshness freshness;

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
    ScopeStamps shared = store.scopeStamps();
    this.freshness = new Freshness(service, shared != null ? shared : new LocalScopeStamps(), clock);
  }

  /** Remembers a reply this process got or found, for when the store cannot say (see {@link RecentReplies}). */
  void remember(String key, Hit hit) {
    recent.remember(key, hit);
  }

  /** A fresh reply this process got or found for the request's key in the last seconds, or null. */
  Hit recent(CallRequest r) {
    Hit hit = recent.get(r.key());
    return acceptable(r, hit) && !freshness.invalidated(r.key(), r.method(), hit.seen(), hit.tags()) ? hit : null;
  }

  /** The invalidation stamp a fetch starting now records (see {@link Freshness}). */
  long seenNow() {
    return freshness.seenNow();
  }

  /** True if a flight that started having seen {@code seen} may no longer be joined: its key was invalidated since. */
  boolean outdated(CallRequest r, long seen) {
    return freshness.flightOutdated(r.key(), r.method(), seen);
  }

  CacheStore store() {
    return store;
  }

  boolean fresh(Hit hit) {
    return hit != null && clock.millis() < hit.freshUntil();
  }

  /**
   * True if {@code hit} may answer the request: fresh, or past its ttl by no more than the call's
   * {@code max-stale}; and, with {@code max-age}, written at most that long ago.
   */
  boolean acceptable(CallRequest r, Hit hit) {
    CacheDirectives d = r.directives();
    if (d.isEmpty()) {
      return fresh(hit);
    }
    if (hit == null || !hit.known() || d.isNoCache()) {
      return false;
    }
    long now = clock.millis();
    if (d.maxAge() != null && (hit.writtenAt() == Entry.UNKNOWN_TIME || now - hit.writtenAt() > d.maxAge().toMillis())) {
      return false;
    }
    if (now < hit.freshUntil()) {
      return true;
    }
    return d.maxStale() != null && now - hit.freshUntil() <= d.maxStale().toMillis();
  }

  /** True if {@code hit} may answer a failing call (CachedRpcProxy): any entry, unless the call's max-age refuses it. */
  boolean acceptableForFallback(CallRequest r, Hit hit) {
    if (!present(hit)) {
      return false;
    }
    Duration maxAge = r.directives().maxAge();
    return maxAge == null || (hit.writtenAt() != Entry.UNKNOWN_TIME && clock.millis() - hit.writtenAt() <= maxAge.toMillis());
  }

  /**
   * The decoded entry under {@code key}; null when the store has none; {@link Hit#unknown} when it
   * could not say within the read budget (the store's {@link CacheStore#lookupBudget()}, else the
   * proxy's {@code storeTimeout}), failed, or skipped itself. Never fails. A small entry is decoded
   * on the thread the store answers on (the caller's, for an in-process store), a big one on the
   * executor; callers of the async API get their futures off the store's threads (see {@link
   * Delivery}).
   */
  CompletableFuture<Hit> lookup(CallRequest r) {
    String key = r.key();
    CompletableFuture<Void> pending = saving.get(key);
    if (pending != null) {
      return pending.thenCompose(v -> lookup(r));
    }
    if (!freshness.known()) {
      return verifiedLookup(r); // this process may have missed invalidations: read the stamps with the entry
    }
    CompletableFuture<byte[]> raw = get(key);
    if (raw.isDone() && !raw.isCompletedExceptionally()) {
      return CompletableFuture.completedFuture(decode(r, raw.join())); // in process, or a near cache: at once
    }
    return answerOf(r, raw);
  }

  /**
   * A lookup while the stamps are not known here (a shared store's announcements may have been
   * missed): the stamps of the key's scopes are read with the entry, and of its tags after it; an
   * entry that cannot be judged is a miss.
   */
  private CompletableFuture<Hit> verifiedLookup(CallRequest r) {
    CompletableFuture<Void> scopes = freshness.refresh(r.key(), r.method(), List.of());
    CompletableFuture<byte[]> raw = get(r.key());
    CompletableFuture<Hit> verified = scopes.thenCombine(raw, (v, bytes) -> bytes).thenCompose(bytes -> {
      if (bytes == null) {
        return CompletableFuture.completedFuture((Hit) null);
      }
      List<String> tags;
      try {
        tags = Entry.header(bytes).tags();
      } catch (RuntimeException e) {
        return CompletableFuture.completedFuture(decode(r, bytes)); // undecodable: decode() deals with it
      }
      return (tags.isEmpty() ? CompletableFuture.<Void>completedFuture(null) : freshness.refresh(r.key(), r.method(), tags))
          .thenApply(v -> decode(r, bytes));
    }).exceptionally(e -> Hit.unknown());
    Duration budget = store.lookupBudget();
    return verified.isDone() ? verified : withinBudget(verified, budget == null ? readTimeout : budget);
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
  private CompletableFuture<Hit> answerOf(CallRequest r, CompletableFuture<byte[]> raw) {
    if (raw.isDone()) { // failed at once, or answered since lookup() looked
      return CompletableFuture.completedFuture(raw.isCompletedExceptionally() ? failedRead(raw.handle((v, e) -> e).join())
          : decode(r, raw.join()));
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
        OffThread.run(executor, () -> answer.complete(decode(r, bytes)));
      } else {
        answer.complete(error != null ? failedRead(error) : decode(r, bytes));
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

  /**
   * The entry, judged by this reader: null when it holds data from before an invalidation (it is
   * left to expire: a newer write may already be replacing it). Any failure to decode, an Error
   * included, is a miss: the entry is deleted and the service asked.
   */
  private Hit decode(CallRequest r, byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      Entry.Header header = Entry.header(bytes);
      if (freshness.invalidated(r.key(), r.method(), header.seen(), header.tags())) {
        return null;
      }
      return new Hit(codec.decode(Entry.payload(bytes)), Freshness.freshUntil(header, r.policy()), header.writtenAt(),
          header.seen(), header.tags());
    } catch (Throwable e) { // CodecException, a bug in a user codec, or an Error from hostile bytes
      log.warn("dropping undecodable cache entry {} ({} bytes): {}", r.key(), bytes.length, e.toString());
      events.onStoreError(service, "decode", e);
      deleteEntry(r.key());
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
  CompletableFuture<Void> saveInBackground(CallRequest r, Object value, long seen) {
    if (r.directives().isNoStore()) {
      return CompletableFuture.completedFuture(null); // the caller said: do not store this reply
    }
    String key = r.key();
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
        save(r, value, seen, replyAt).whenComplete((v, e) -> finish.run());
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
  CompletableFuture<Void> save(CallRequest r, Object value, long seen) {
    if (r.directives().isNoStore()) {
      return CompletableFuture.completedFuture(null); // the caller said: do not store this reply
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    writes.add(done);
    try {
      save(r, value, seen, clock.millis()).whenComplete((v, e) -> {
        writes.remove(done);
        done.complete(null);
      });
    } catch (RuntimeException | Error e) {
      writes.remove(done);
      throw e;
    }
    return done;
  }

  /**
   * Stores a reply that came at {@code replyAt}, fetched having seen invalidation stamp {@code
   * seen}: its freshness and its life in the store count from then, its tags go with it.
   */
  private CompletableFuture<Void> save(CallRequest r, Object value, long seen, long replyAt) {
    String key = r.key();
    String method = r.method();
    EntryLife life;
    byte[] entry;
    try {
      life = EntryLife.of(r.policy(), value);
      if (!life.cached()) {
        return CompletableFuture.completedFuture(null); // the reply said: do not cache me
      }
      long freshUntil = life.fresh() == null ? Entry.NO_DEADLINE : replyAt + life.fresh().toMillis();
      List<String> tags = tagsOf(r, value);
      entry = Entry.wrap(freshUntil, replyAt, seen, tags, codec.encode(value));
    } catch (RuntimeException | StackOverflowError e) { // CodecException, bad tags or ttl, or a bug in user code
      log.warn("reply of {}.{} returned uncached: {}", service, method, e.getMessage());
      return CompletableFuture.completedFuture(null);
    }
    // The store counts its expiry from when it gets the entry: give it what is left of the
    // entry's life, read as late as possible (after encoding, which takes time).
    Duration storeTtl = life.kept();
    if (storeTtl != null) {
      long left = storeTtl.toMillis() - Math.max(0, clock.millis() - replyAt);
      if (left <= 0) {
        return CompletableFuture.completedFuture(null); // it would be gone already
      }
      storeTtl = Duration.ofMillis(left);
    }
    CompletableFuture<Void> put;
    try {
      put = Objects.requireNonNull(store.put(key, entry, storeTtl), "store returned a null future");
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

  /** The reply's tags by its policy; at most {@link Entry#MAX_TAGS}. */
  static List<String> tagsOf(CallRequest r, Object value) {
    Collection<String> tags = r.policy().tags().of(r.method(), r.args(), r.kwargs(), value);
    if (tags == null) {
      throw new IllegalArgumentException("the policy's tags gave null");
    }
    return List.copyOf(new LinkedHashSet<>(tags));
  }

  /** A hit to remember for a reply fetched having seen {@code seen} (tags as the entry will carry them). */
  Hit fetched(CallRequest r, Object value, long seen) {
    List<String> tags;
    EntryLife life;
    try {
      life = EntryLife.of(r.policy(), value);
      tags = tagsOf(r, value);
    } catch (RuntimeException e) {
      return null; // not cached, not remembered
    }
    if (!life.cached() || r.directives().isNoStore()) {
      return null;
    }
    long now = clock.millis();
    return new Hit(value, life.fresh() == null ? Entry.NO_DEADLINE : now + life.fresh().toMillis(), now, seen, tags);
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

  /**
   * Invalidates one entry: its key's stamp first (nothing fetched before now answers anyone after,
   * in this process or, with a shared store, any other), then the entry itself is deleted to free
   * the store. An explicit request, as the others: it fails when the stamp could not be moved
   * (the entry may still answer); once the stamp moved, a failed delete only leaves the entry to
   * expire, and is logged.
   */
  CompletableFuture<Void> invalidateKey(String key) {
    recent.forget(key);
    return freshness.invalidate(Freshness.keyScope(key)).thenCompose(stamp -> deleteEntry(key));
  }

  /**
   * Invalidates every entry of a method, of the service, or with a tag: one stamp, whatever the
   * store holds. An explicit request: its failure is reported to the caller.
   */
  CompletableFuture<Void> invalidateMethod(String method) {
    return freshness.invalidate(freshness.methodScope(method)).thenApply(stamp -> null);
  }

  CompletableFuture<Void> invalidateService() {
    return freshness.invalidate(freshness.serviceScope()).thenApply(stamp -> null);
  }

  CompletableFuture<Void> invalidateTag(String tag) {
    return freshness.invalidate(Freshness.tagScope(tag)).thenApply(stamp -> null);
  }

  /** Deletes one entry (after a save of it under way); the future completes, never exceptionally, once done or given up. */
  private CompletableFuture<Void> deleteEntry(String key) {
    CompletableFuture<Void> pending = saving.get(key);
    if (pending != null) {
      return pending.thenCompose(v -> deleteEntry(key));
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

  /** The writes sent and not yet settled, done or given up, at most {@code wait}; for a proxy's close(). */
  void awaitWrites(Duration wait) {
    List<CompletableFuture<Void>> all = new ArrayList<>(saving.values());
    all.addAll(writes);
    CompletableFuture<?>[] pending = all.toArray(new CompletableFuture<?>[0]);
    try {
      CompletableFuture.allOf(pending).get(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // a write that failed was logged; one still pending is abandoned to the store
    }
  }

  private void failed(String operation, Throwable error) {
    log.warn("cache store {} failed for {}: {}", operation, service, error.toString());
    events.onStoreError(service, operation, error);
  }
}
