package io.github.nameko4j.events;

import io.github.nameko4j.cachetools.CacheControl;
import io.github.nameko4j.cachetools.CacheTags;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * What an event invalidates in a cache ({@link EventSubscriber.Builder#invalidate}): every entry of
 * a method, every entry of the service, the one entry whose arguments the payload gives, or every
 * entry with the tags the payload names.
 *
 * <pre>{@code
 * // products dispatches product_updated {"id": 42, ...}
 * CacheInvalidation.entry("get_product", payload -> List.of(((Map<?, ?>) payload).get("id")))  // get_product(42)
 * CacheInvalidation.tag("product:{id}")  // every reply tagged product:42, of any method
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

  /**
   * Every cached reply with the tags {@code tags} derives from the event's payload, of any method
   * and service cached in the same store.
   *
   * @param tags the tags, from the payload
   * @return the invalidation
   */
  static CacheInvalidation tags(Function<Object, Collection<String>> tags) {
    Objects.requireNonNull(tags, "tags");
    return (cache, event) -> {
      Collection<String> named = tags.apply(event.payload());
      return CompletableFuture.allOf(named.stream().map(cache::invalidateTag).toArray(CompletableFuture[]::new));
    };
  }

  /**
   * Every cached reply with the tag {@code template} makes of the payload: {@code {field}} is a
   * field of a map or record payload (a path: {@code {owner.id}}), {@code {payload}} the whole
   * payload. An event whose payload lacks a field invalidates nothing.
   *
   * @param template e.g. {@code "product:{id}"}
   * @return the invalidation
   */
  static CacheInvalidation tag(String template) {
    CacheTags tags = CacheTags.template(Objects.requireNonNull(template, "template")
        .replace("{payload}", "{reply}").replaceAll("\\{(?!reply[.}])([^{}]+)}", "{reply.$1}"));
    return tags((payload) -> tags.of("", List.of(), Map.of(), payload));
  }
}
