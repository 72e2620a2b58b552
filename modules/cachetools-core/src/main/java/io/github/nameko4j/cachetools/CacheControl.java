package io.github.nameko4j.cachetools;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Drops cached replies: one entry, every entry of a method, or every entry of the service. With a
 * shared store (Redis) it works for every replica at once. Both untyped proxies implement it, and
 * so does every typed proxy the builders create: {@code CacheControl.of(typedProxy)}.
 */
public interface CacheControl {

  /** Removes the cached reply of {@code method(*args, **kwargs)}. */
  CompletableFuture<Void> invalidate(String method, List<?> args, Map<String, ?> kwargs);

  /**
   * Removes every cached reply of {@code method}.
   *
   * @return a future of how many entries were removed; fails with {@link
   *     UnsupportedOperationException} if the store cannot delete by prefix
   */
  CompletableFuture<Long> invalidateMethod(String method);

  /** Removes every cached reply of this proxy's service. */
  CompletableFuture<Long> invalidateAll();

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
