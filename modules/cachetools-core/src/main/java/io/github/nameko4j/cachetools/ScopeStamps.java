package io.github.nameko4j.cachetools;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The invalidations of a store's namespace, as stamps from one increasing sequence: invalidating a
 * scope (an entry, a method, a service, a tag) gives it a new stamp, and an entry whose fetch
 * started before that stamp is stale wherever it is read. This is how invalidation stays exact
 * (nothing fetched before it answers a caller after it, not even a reply still in flight) and costs
 * the same whatever the store holds (no scan of keys). A store shared by replicas shares its stamps
 * ({@code RedisCacheStore}); {@link CacheStore#scopeStamps()} returning null keeps them in each
 * proxy's process.
 *
 * <p>Scopes are strings the proxies make: {@code k:<key>}, {@code m:<service>:<method>}, {@code
 * s:<service>}, {@code t:<tag>}. Implementations are thread-safe; {@link #stampOf} and {@link
 * #current} answer from memory, at once.
 */
public interface ScopeStamps {

  /**
   * The stamp a fetch starting now records as seen: at least every stamp this process knows of.
   *
   * @return a stamp of the sequence
   */
  long current();

  /**
   * The latest stamp of {@code scope} this process knows of; 0 if it was never invalidated.
   *
   * @param scope the scope
   * @return its stamp
   */
  long stampOf(String scope);

  /**
   * Whether {@link #stampOf} can be trusted right now (false, for instance, while a shared store
   * cannot hear the other replicas' invalidations): the proxies then take every entry for a miss.
   *
   * @return true while the stamps are known
   */
  default boolean known() {
    return true;
  }

  /**
   * Reads the current stamps of {@code scopes} from where they are kept, into this process's view:
   * how an entry is judged while {@link #known()} is false. Default: nothing to read (a store that
   * keeps its stamps in this process always knows them).
   *
   * @param scopes the scopes an entry depends on
   * @return a future completing once {@link #stampOf} is current for them; failing if they could
   *     not be read
   */
  default CompletableFuture<Void> refresh(Collection<String> scopes) {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * Gives {@code scope} a new stamp, known to this process when the future completes, and
   * announced to the store's other users.
   *
   * @param scope the scope to invalidate
   * @return a future of the new stamp; failing if the store could not record it
   */
  CompletableFuture<Long> invalidate(String scope);

  /**
   * Hears every scope invalidated, here or by another user of the store (for caches a proxy keeps
   * in its process).
   *
   * @param listener called with the scope, on whatever thread heard it; quick, must not throw
   */
  void addListener(Consumer<String> listener);
}
