package io.github.nameko4j.cachetools;

import io.github.nameko4j.cachetools.internal.CachingInvoker;
import io.github.nameko4j.rpc.NamekoRpcClient;
import java.time.Duration;

/**
 * Answers from the cache when it holds a fresh reply for the same method and arguments;
 * otherwise calls the service, caches the reply and returns it. A failing call with nothing
 * cached rethrows the original error.
 *
 * <p><b>Never use it for calls that change state</b>: a cached call never reaches the service.
 *
 * <pre>{@code
 * CacheFirstRpcProxy otherService = CacheFirstRpcProxy.builder(client)
 *     .service("other_service")
 *     .policy("do_something", CachePolicy.custom().ttl(Duration.ofSeconds(30)).build())
 *     .build();
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class CacheFirstRpcProxy extends AbstractCachingProxy {

  private CacheFirstRpcProxy(CachingInvoker invoker) {
    super(invoker);
  }

  /** A builder for proxies calling through {@code client}. */
  public static Builder builder(NamekoRpcClient client) {
    return new Builder(client);
  }

  /** Builds a {@link CacheFirstRpcProxy} (untyped) or a typed proxy of an interface. Not thread-safe. */
  public static final class Builder extends CachingProxyBuilder<Builder> {
    private Builder(NamekoRpcClient client) {
      super(client);
    }

    /**
     * Cross-replica stampede protection (opt-in): when several replicas miss on the same key at
     * once, one takes a lease in the store (set-if-absent with expiry {@code lease}, released by
     * its owner only) and calls the service; the others poll the store for its reply for at most
     * {@code maxWait}, then call the service themselves. A crashed owner blocks nobody longer than
     * {@code maxWait}. Within one process, concurrent misses always share one call.
     *
     * @param lease how long a lease lasts unless released; positive, at most 10 minutes
     * @param maxWait how long the others wait; positive, at most {@code lease}
     */
    public Builder crossReplicaLease(Duration lease, Duration maxWait) {
      if (lease == null || lease.isNegative() || lease.isZero() || lease.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("crossReplicaLease lease must be positive and at most 10 minutes, was " + lease);
      }
      if (maxWait == null || maxWait.isNegative() || maxWait.isZero() || maxWait.compareTo(lease) > 0) {
        throw new IllegalArgumentException("crossReplicaLease maxWait must be positive and at most the lease (" + lease + "), was " + maxWait);
      }
      this.leaseTtl = lease;
      this.leaseWait = maxWait;
      return this;
    }

    /**
     * An untyped proxy.
     *
     * @throws IllegalStateException no service was set
     */
    public CacheFirstRpcProxy build() {
      return new CacheFirstRpcProxy(untypedInvoker(CachingInvoker.Mode.CACHE_FIRST));
    }

    /**
     * A typed proxy of {@code api} (see {@link NamekoRpcClient#proxy(Class)}), with per-method
     * policies from the builder and from {@link Caching} annotations.
     *
     * @throws IllegalArgumentException a policy names a method {@code api} lacks, or an annotation is invalid
     * @throws IllegalStateException no service set and none from {@link io.github.nameko4j.rpc.RpcService}
     */
    public <T> T build(Class<T> api) {
      return typed(CachingInvoker.Mode.CACHE_FIRST, api);
    }
  }
}
