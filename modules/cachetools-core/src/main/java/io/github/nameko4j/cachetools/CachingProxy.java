package io.github.nameko4j.cachetools;

import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.NamekoException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What both untyped caching proxies offer, {@link CachedRpcProxy} and {@link CacheFirstRpcProxy}:
 * code that takes either declares this type.
 *
 * <pre>{@code
 * CachingProxy other = readsMustStayUp ? cachedProxy : cacheFirstProxy;
 * Object reply = other.call("do_something", "hi");
 * }</pre>
 *
 * <p>Implementations are thread-safe. Every call gets a future of its own: cancelling it or
 * timing it out never reaches other callers of the same key or the call underneath.
 */
public interface CachingProxy extends CacheControl, AutoCloseable {

  /**
   * The service this proxy calls.
   *
   * @return its nameko name
   */
  String service();

  /**
   * The policy applied to one rpc method.
   *
   * @param method the method's nameko name
   * @return its own policy, or the proxy's default policy
   */
  CachePolicy policyFor(String method);

  /**
   * Calls {@code method(*args)} through the cache and waits. Each argument is one positional
   * argument: to send a list and a map as two positional arguments, pass them as two varargs, or
   * use {@link #call(String, List, Map)} with {@code List.of(list, map), Map.of()}.
   *
   * @param method the method's nameko name
   * @param args positional arguments
   * @return the reply, from the service or the cache
   * @throws NamekoException what the call threw, when the cache could not answer instead
   * @throws CodecException an argument cannot be sent (nothing is cached)
   * @throws IllegalArgumentException a null or invalid method name
   */
  Object call(String method, Object... args);

  /**
   * Calls {@code method(*args, **kwargs)} through the cache and waits.
   *
   * @param method the method's nameko name
   * @param args positional arguments
   * @param kwargs keyword arguments
   * @return the reply, from the service or the cache
   * @throws NamekoException what the call threw, when the cache could not answer instead
   */
  Object call(String method, List<?> args, Map<String, ?> kwargs);

  /**
   * Calls {@code method(*args, **kwargs)} through the cache without waiting.
   *
   * @param method the method's nameko name
   * @param args positional arguments
   * @param kwargs keyword arguments
   * @return the reply's future, failing as {@link #call(String, List, Map)} throws
   */
  CompletableFuture<Object> callAsync(String method, List<?> args, Map<String, ?> kwargs);

  /**
   * As {@link #callAsync}, saying whether the service or the cache answered, and why the cache
   * did. (Typed proxies give the same when a method is declared to return {@link CachedReply}.)
   *
   * @param method the method's nameko name
   * @param args positional arguments
   * @param kwargs keyword arguments
   * @return the detailed reply's future
   */
  CompletableFuture<CachedReply> callDetailedAsync(String method, List<?> args, Map<String, ?> kwargs);

  /**
   * Refuses calls from now on and waits briefly for the cache writes already sent. Closes neither
   * the client nor the store: close proxies first, then the store, then the client.
   */
  @Override
  void close();
}
