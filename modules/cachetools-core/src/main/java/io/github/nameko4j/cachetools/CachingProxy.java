package io.github.nameko4j.cachetools;

import io.github.nameko4j.cachetools.internal.CachingInvoker;
import io.github.nameko4j.rpc.NamekoException;
import io.github.nameko4j.rpc.internal.Futures;
import io.github.nameko4j.rpc.internal.Json;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** What both untyped proxies offer; their strategy is in the engine they are built with. */
abstract class CachingProxy implements CacheControl {
  final CachingInvoker invoker;

  CachingProxy(CachingInvoker invoker) {
    this.invoker = invoker;
  }

  /** The service this proxy calls. */
  public String service() {
    return invoker.service();
  }

  /** The policy applied to {@code method}. */
  public CachePolicy policyFor(String method) {
    return invoker.policyFor(method);
  }

  /**
   * Calls {@code method(*args)} through the cache and waits.
   *
   * @throws NamekoException what the call threw, when the cache could not answer instead
   * @throws io.github.nameko4j.rpc.CodecException an argument cannot be sent (nothing is cached)
   * @throws IllegalArgumentException a null or invalid method name
   */
  public Object call(String method, Object... args) {
    return Futures.await(invoker.invoke(method, Json.listOf(args), Map.of()));
  }

  /** Calls {@code method(*args, **kwargs)} through the cache and waits. */
  public Object call(String method, List<?> args, Map<String, ?> kwargs) {
    return Futures.await(invoker.invoke(method, args, kwargs));
  }

  /** Calls {@code method(*args, **kwargs)} through the cache without waiting. */
  public CompletableFuture<Object> callAsync(String method, List<?> args, Map<String, ?> kwargs) {
    return invoker.invoke(method, args, kwargs);
  }

  /**
   * Calls {@code method(*args, **kwargs)} through the cache without waiting, saying whether the
   * service or the cache answered, and why the cache did.
   */
  public CompletableFuture<CachedReply> callDetailedAsync(String method, List<?> args, Map<String, ?> kwargs) {
    return invoker.invokeDetailed(method, args, kwargs);
  }

  @Override
  public CompletableFuture<Void> invalidate(String method, List<?> args, Map<String, ?> kwargs) {
    return invoker.delete(invoker.keyOf(method, args, kwargs));
  }

  @Override
  public CompletableFuture<Long> invalidateMethod(String method) {
    return invoker.deleteMethod(method);
  }

  @Override
  public CompletableFuture<Long> invalidateAll() {
    return invoker.deleteService();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{service=" + invoker.service() + "}";
  }
}
