package io.github.nameko4j.cachetools;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Where cached replies live: bytes under string keys, each with its own time to live.
 *
 * <p>Implementations must be thread-safe and should not block the calling thread. A failed or
 * slow store never fails a call: the proxies treat a failed {@code get} as a miss and ignore a
 * failed {@code put} or {@code delete} (after logging), so implementations should bound every
 * operation with a timeout of their own. Fail with {@link CacheStoreException} (reason {@code
 * SKIPPED} when the store did not even try, e.g. an open circuit: the proxies then neither log nor
 * count it per call).
 *
 * <p>Slow is not down: a caller waits for a lookup at most {@link #lookupBudget()} (the soft
 * timeout) and then treats it as a miss, but the operation itself may go on until the store's
 * own (hard) timeout, and its answer is still used where it can be.
 *
 * <p>Provided: {@link InMemoryCacheStore} (the default) and {@code RedisCacheStore} in the
 * cachetools-redis module.
 */
public interface CacheStore extends AutoCloseable {

  /** The value under {@code key}, or a future of null when there is none. */
  CompletableFuture<byte[]> get(String key);

  /**
   * Stores {@code value} under {@code key}, replacing any previous one.
   *
   * @param ttl how long to keep it; null means no expiry
   */
  CompletableFuture<Void> put(String key, byte[] value, Duration ttl);

  /** Removes the value under {@code key}, if any. */
  CompletableFuture<Void> delete(String key);

  /**
   * Removes every entry whose key starts with {@code prefix}. The proxies no longer use it (they
   * invalidate methods, services and tags with {@link #scopeStamps()}, whatever the store holds);
   * for tools. Default: unsupported.
   *
   * @return a future of how many entries were removed
   */
  default CompletableFuture<Long> deleteByPrefix(String prefix) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException(getClass().getName() + " cannot delete by prefix"));
  }

  /**
   * The invalidation stamps of this store's entries, shared by everyone who uses the store (see
   * {@link ScopeStamps}). Default null: each proxy keeps stamps of its own invalidations in its
   * process, so an invalidation through one proxy does not reach another proxy's view of a
   * shared custom store.
   *
   * @return the stamps, or null
   */
  default ScopeStamps scopeStamps() {
    return null;
  }

  /**
   * Takes a short lease on {@code key} for {@code owner} unless someone holds it: set-if-absent
   * with expiry, so a crashed owner's lease ends by itself. Used by the opt-in cross-replica
   * stampede protection. Default: always granted (a store without leases protects nothing across
   * processes, but never blocks anyone).
   *
   * @return true if {@code owner} now holds the lease
   */
  default CompletableFuture<Boolean> tryLease(String key, String owner, Duration ttl) {
    return CompletableFuture.completedFuture(true);
  }

  /** Ends {@code owner}'s lease on {@code key}; a lease held by someone else is left alone. */
  default CompletableFuture<Void> releaseLease(String key, String owner) {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * True if every operation of this store completes within a short timeout of its own (as {@code
   * RedisCacheStore}'s do); the proxies then skip their own guard timer on lookups. Default false.
   */
  default boolean boundsItsOwnLatency() {
    return false;
  }

  /**
   * How long a caller should wait for {@link #get} right now before treating it as a miss (the
   * soft timeout); the store may adapt it to its recent latency, so that a busy machine does not
   * turn every read into a miss. Default null: the proxy's {@code storeTimeout}.
   *
   * @return the current read budget, or null
   */
  default Duration lookupBudget() {
    return null;
  }

  /**
   * True if {@link #get} usually completes before it returns (an in-process store, a near cache):
   * the proxies then look first and start a shared flight only on a miss. For remote stores (false,
   * the default) they start the shared flight first, so that concurrent callers of one key make a
   * single lookup.
   */
  default boolean completesInline() {
    return false;
  }

  /**
   * True if other processes use the same entries and {@link #scopeStamps()} (Redis): an
   * invalidation through one replica then reaches all. Default false.
   *
   * @return whether the store is shared between processes
   */
  default boolean sharedBetweenProcesses() {
    return false;
  }

  /** Releases what the store owns. Default: nothing. */
  @Override
  default void close() {}
}
