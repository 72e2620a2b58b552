package io.github.nameko4j.cachetools;

import io.github.nameko4j.cachetools.internal.CachingInvoker;
import io.github.nameko4j.rpc.internal.Futures;
import io.github.nameko4j.rpc.internal.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** What both untyped proxies share; their strategy is in the engine they are built with. */
abstract class AbstractCachingProxy implements CachingProxy {
  final CachingInvoker invoker;
  private final CacheControl control;

  AbstractCachingProxy(CachingInvoker invoker) {
    this.invoker = invoker;
    this.control = CachingProxyBuilder.control(invoker);
  }

  @Override
  public String service() {
    return invoker.service();
  }

  @Override
  public CachePolicy policyFor(String method) {
    return invoker.policyFor(method);
  }

  @Override
  public Object call(String method, Object... args) {
    return Futures.await(invoker.invoke(method, Json.listOf(args), Map.of()));
  }

  @Override
  public Object call(String method, List<?> args, Map<String, ?> kwargs) {
    return Futures.await(invoker.invoke(method, args, kwargs));
  }

  @Override
  public CompletableFuture<Object> callAsync(String method, List<?> args, Map<String, ?> kwargs) {
    return invoker.invokeAsync(method, args, kwargs);
  }

  @Override
  public CompletableFuture<CachedReply> callDetailedAsync(String method, List<?> args, Map<String, ?> kwargs) {
    return invoker.invokeDetailedAsync(method, args, kwargs);
  }

  @Override
  public CompletableFuture<Void> invalidate(String method, List<?> args, Map<String, ?> kwargs) {
    return control.invalidate(method, args, kwargs);
  }

  @Override
  public CompletableFuture<Void> invalidateMethod(String method) {
    return control.invalidateMethod(method);
  }

  @Override
  public CompletableFuture<Void> invalidateAll() {
    return control.invalidateAll();
  }

  @Override
  public CompletableFuture<Void> invalidateTag(String tag) {
    return control.invalidateTag(tag);
  }

  @Override
  public boolean invalidatesEveryReplica() {
    return control.invalidatesEveryReplica();
  }

  /**
   * Refuses calls from now on (they throw {@link IllegalStateException}) and waits, at most one
   * second, for the cache writes this proxy already sent. Closes neither the client nor the store,
   * which may serve other proxies: close proxies first, then the store, then the client.
   */
  @Override
  public void close() {
    invoker.close(Duration.ofSeconds(1));
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{service=" + invoker.service() + "}";
  }
}
