package io.github.nameko4j.cachetools;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Invalidates cached replies: one entry, every entry of a method, of the service, or with a tag.
 * Exact: once the future completes, no call that starts afterwards is answered with anything
 * fetched or cached before, not even by a reply still in flight (it answers only the calls that
 * were waiting for it, and what it stores is stale). Cheap: a method, a service or a tag costs the
 * same few store commands whatever the store holds (no scan of keys). With a store shared by
 * replicas (Redis) it holds for every replica, as soon as the invalidation reaches it (pub/sub,
 * milliseconds). Both untyped proxies implement it, and so does every typed proxy the builders
 * create: {@code CacheControl.of(typedProxy)}.
 */
public interface CacheControl {

  /**
   * Invalidates the cached reply of {@code method(*args, **kwargs)}.
   *
   * @return a future completing once done; failing (a {@link CacheStoreException}) if the store
   *     could not record it. The entry itself is also deleted when the store can; a failed delete
   *     only leaves it to expire, unused, and is logged.
   */
  CompletableFuture<Void> invalidate(String method, List<?> args, Map<String, ?> kwargs);

  /**
   * Invalidates every cached reply of {@code method}.
   *
   * @return a future completing once done; failing (a {@link CacheStoreException}) if the store
   *     could not record it
   */
  CompletableFuture<Void> invalidateMethod(String method);

  /**
   * Invalidates every cached reply of this proxy's service.
   *
   * @return a future completing once done; failing (a {@link CacheStoreException}) if the store
   *     could not record it
   */
  CompletableFuture<Void> invalidateAll();

  /**
   * Invalidates every cached reply tagged {@code tag} by its policy ({@link CacheTags}), of any
   * method and any service cached in the same store (namespace).
   *
   * @param tag e.g. {@code product:42}
   * @return a future completing once done; failing (a {@link CacheStoreException}) if the store
   *     could not record it
   */
  CompletableFuture<Void> invalidateTag(String tag);

  /**
   * Whether an invalidation here reaches every replica (a store shared between processes, such
   * as Redis), so that one replica acting on an event is enough.
   *
   * @return true for a shared store
   */
  default boolean invalidatesEveryReplica() {
    return false;
  }

  /**
   * The cache control of a proxy built by {@link CachedRpcProxy.Builder} or {@link
   * CacheFirstRpcProxy.Builder}, typed or not.
   *
   * @throws IllegalArgumentException {@code proxy} was not built by them
   */
  static CacheControl of(Object proxy) {
    Objects.requireNonNull(proxy, "proxy must not be null");
    if (proxy instanceof CacheControl) {
      return (CacheControl) proxy;
    }
    throw new IllegalArgumentException(proxy.getClass().getName() + " is not a caching proxy built by this library");
  }
}
