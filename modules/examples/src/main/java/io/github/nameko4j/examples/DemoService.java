package io.github.nameko4j.examples;

import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.Rpc;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One replica of the service {@code demo}. {@code do_something} calls {@code other_service}
 * through a CachedRpcProxy (failover timeout 500 ms); {@code lookup} through a CacheFirstRpcProxy
 * with a 30-second ttl for that method. Each reply says which replica answered and from where.
 */
public final class DemoService {
  static final Duration FAILOVER_TIMEOUT = Duration.ofMillis(500);
  static final Duration LOOKUP_TTL = Duration.ofSeconds(30);

  private final String replica;
  private final CachedRpcProxy otherService;
  private final CacheFirstRpcProxy lookups;

  public DemoService(String replica, NamekoRpcClient rpc, CacheStore store) {
    this.replica = replica;
    this.otherService = CachedRpcProxy.builder(rpc).service("other_service").store(store)
        .defaultPolicy(CachePolicy.custom().failoverTimeout(FAILOVER_TIMEOUT).build())
        .build();
    this.lookups = CacheFirstRpcProxy.builder(rpc).service("other_service").store(store)
        .policy("lookup", CachePolicy.custom().ttl(LOOKUP_TTL).build())
        .build();
  }

  @Rpc
  public Map<String, Object> doSomething(String request) {
    return report(() -> otherService.callDetailedAsync("do_something", List.of(request), Map.of()).join());
  }

  @Rpc
  public Map<String, Object> lookup(String key) {
    return report(() -> lookups.callDetailedAsync("lookup", List.of(key), Map.of()).join());
  }

  private Map<String, Object> report(Supplier<CachedReply> call) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("replica", replica);
    try {
      long start = System.nanoTime();
      CachedReply reply = call.get();
      boolean waited = System.nanoTime() - start >= FAILOVER_TIMEOUT.toNanos();
      out.put("source", reply.source() == CachedReply.Source.SERVICE ? "service" : "cache");
      out.put("reply", reply.value());
      // A key that just failed over is answered from the cache at once for a while (the
      // fail-safe throttle) while one call at a time probes the service: say so, rather than
      // blame a timeout this call never waited for.
      reply.fallbackCause().ifPresent(cause -> out.put("because", !(cause instanceof TimeoutException) ? cause.getClass().getSimpleName()
          : waited ? "no answer within " + FAILOVER_TIMEOUT.toMillis() + " ms"
          : "too slow on an earlier call: answered at once, not asked again yet"));
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      out.put("source", "error");
      out.put("reply", cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }
    return out;
  }
}
