package io.github.nameko4j.events;

import io.github.nameko4j.cachetools.CacheControl;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * What an event drops from a cache ({@link EventSubscriber.Builder#invalidate}): every entry of a
 * method, every entry of the service, or the one entry whose arguments the payload gives.
 *
 * <pre>{@code
 * // products dispatches product_updated {"id": 42, ...}: drop the cached get_product(42)
 * CacheInvalidation.entry("get_product", payload -> List.of(((Map<?, ?>) payload).get("id")))
 * }</pre>
 */
@FunctionalInterface
public interface CacheInvalidation {

  /**
   * Drops what this invalidation names for one event.
   *
   * @param cache the caching proxy's cache
   * @param event the event
   * @return a future completing when the store has dropped it
   */
  CompletableFuture<?> apply(CacheControl cache, Event event);

  /**
   * Every cached reply of one method.
   *
   * @param method the method's nameko name
   * @return the invalidation
   */
  static CacheInvalidation method(String method) {
    Objects.requireNonNull(method, "method");
    return (cache, event) -> cache.invalidateMethod(method);
  }

  /**
   * Every cached reply of the proxy's service.
   *
   * @return the invalidation
   */
  static CacheInvalidation service() {
    return (cache, event) -> cache.invalidateAll();
  }

  /**
   * The cached reply of {@code method(*args)}, with the positional arguments derived from the
   * event's payload. With a policy that varies on context, this drops the variant of the event's
   * context only: invalidate the method instead.
   *
   * @param method the method's nameko name
   * @param args the arguments of the entry to drop, from the payload
   * @return the invalidation
   */
  static CacheInvalidation entry(String method, Function<Object, List<?>> args) {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(args, "args");
    return (cache, event) -> cache.invalidate(method, args.apply(event.payload()), Map.of());
  }
}
