package io.github.nameko4j.cachetools;

import io.github.nameko4j.cachetools.internal.CachingInvoker;
import io.github.nameko4j.rpc.NamekoRpcClient;

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
public final class CachedRpcProxy extends AbstractCachingProxy {

  private CachedRpcProxy(CachingInvoker invoker) {
    super(invoker);
  }

  /** A builder for proxies calling through {@code client}. */
  public static Builder builder(NamekoRpcClient client) {
    return new Builder(client);
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
