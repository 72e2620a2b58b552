package io.github.nameko4j.cachetools;

import io.github.nameko4j.cachetools.internal.CachingInvoker;
import io.github.nameko4j.rpc.NamekoException;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.internal.Json;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Always asks the service and caches every successful reply; answers from the cache when the
 * service fails or, with a {@linkplain CachePolicy#failoverTimeout() failover timeout} and a
 * cached reply, does not answer in time. With nothing cached it behaves like a plain call: it
 * waits (up to the RPC client's call timeout) or rethrows the original error unchanged.
 *
 * <p><b>Never use it for calls that change state</b>: a failed setter would look successful.
 *
 * <pre>{@code
 * CachedRpcProxy otherService = CachedRpcProxy.builder(client)
 *     .service("other_service")
 *     .defaultPolicy(CachePolicy.custom().failoverTimeout(Duration.ofSeconds(1)).build())
 *     .build();
 * Object reply = otherService.call("do_something", "hi");
 * }</pre>
 *
 * <p>A reply that arrives after the failover timeout still refreshes the cache. Which failures
 * fall back is the policy's {@linkplain CachePolicy#fallbackOn() fallbackOn}. Thread-safe.
 */
public final class CachedRpcProxy implements CacheControl {
  private final CachingInvoker invoker;

  private CachedRpcProxy(CachingInvoker invoker) {
    this.invoker = invoker;
  }

  /** A builder for proxies calling through {@code client}. */
  public static Builder builder(NamekoRpcClient client) {
    return new Builder(client);
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
    return await(invoker.invoke(method, Json.listOf(args), Map.of()));
  }

  /** Calls {@code method(*args, **kwargs)} through the cache and waits. */
  public Object call(String method, List<?> args, Map<String, ?> kwargs) {
    return await(invoker.invoke(method, args, kwargs));
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

  static Object await(CompletableFuture<Object> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NamekoException("interrupted while waiting for a reply", e);
    } catch (ExecutionException e) {
      Throwable t = e.getCause();
      while (t instanceof CompletionException && t.getCause() != null) {
        t = t.getCause();
      }
      if (t instanceof RuntimeException) {
        throw (RuntimeException) t;
      }
      throw new NamekoException(String.valueOf(t.getMessage()), t);
    }
  }

  @Override
  public String toString() {
    return "CachedRpcProxy{service=" + invoker.service() + "}";
  }

  /** Builds a {@link CachedRpcProxy} (untyped) or a typed proxy of an interface. Not thread-safe. */
  public static final class Builder extends CachingProxyBuilder<Builder> {
    private Builder(NamekoRpcClient client) {
      super(client);
    }

    /**
     * An untyped proxy.
     *
     * @throws IllegalStateException no service was set
     */
    public CachedRpcProxy build() {
      return new CachedRpcProxy(untypedInvoker(CachingInvoker.Mode.CACHED));
    }

    /**
     * A typed proxy of {@code api} (see {@link NamekoRpcClient#proxy(Class)}), with per-method
     * policies from the builder and from {@link Caching} annotations.
     *
     * @throws IllegalArgumentException a policy names a method {@code api} lacks, or an annotation is invalid
     * @throws IllegalStateException no service set and none from {@link io.github.nameko4j.rpc.RpcService}
     */
    public <T> T build(Class<T> api) {
      return typed(CachingInvoker.Mode.CACHED, api);
    }
  }
}
