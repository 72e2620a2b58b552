package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.rpc.RpcService;
import io.github.nameko4j.testsupport.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Refresh-ahead, invalidation, events and metrics. */
class BeyondTheOriginalIT extends WithBackend {

  @Test
  void pastTheRefreshPointAHitReturnsAtOnceAndRefreshesOnceInTheBackground() {
    ManualClock clock = new ManualClock();
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name)
        .store(InMemoryCacheStore.builder().clock(clock).build()).clock(clock)
        .defaultPolicy(CachePolicy.custom().ttl(Duration.ofSeconds(100)).refreshAhead(0.8).build()).build();
    List<?> first = (List<?>) proxy.call("stamp", "r");
    int calls = backend.calls("stamp");
    clock.advance(Duration.ofSeconds(50));
    assertThat(proxy.call("stamp", "r")).isEqualTo(first); // before the refresh point: nothing happens
    assertThat(backend.calls("stamp")).isEqualTo(calls);

    clock.advance(Duration.ofSeconds(35)); // 85 s: past 80 % of the ttl
    backend.delayMillis = 300;
    List<CompletableFuture<CachedReply>> hits = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      hits.add(proxy.callDetailedAsync("stamp", List.of("r"), Map.of()));
    }
    hits.forEach(h -> {
      CachedReply reply = h.join();
      assertThat(reply.value()).isEqualTo(first);
      assertThat(reply.source()).isEqualTo(CachedReply.Source.CACHE); // not waiting for the 300 ms refresh
    });
    await().atMost(Duration.ofSeconds(5)).until(() -> backend.calls("stamp") == calls + 1);
    await().atMost(Duration.ofSeconds(2)).until(() -> !proxy.call("stamp", "r").equals(first));
    assertThat(backend.calls("stamp")).isEqualTo(calls + 1); // one refresh for twenty callers
    assertThatThrownBy(() -> CachePolicy.custom().refreshAhead(1.0)).hasMessageContaining("refreshAhead");
    assertThatThrownBy(() -> CachePolicy.custom().refreshAhead(0.5).build()).hasMessageContaining("needs a ttl");
  }

  @RpcService("set_at_test_time")
  interface Api {
    List<Object> stamp(String x);

    String other(String x);
  }

  @Test
  void entriesCanBeDroppedOneByOneByMethodOrAllFromTypedAndUntypedProxies() {
    InMemoryCacheStore store = InMemoryCacheStore.create();
    CacheFirstRpcProxy untyped = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build();
    Api typed = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build(Api.class);
    for (String x : List.of("a", "b", "c")) {
      untyped.call("stamp", x);
      untyped.call("other", x);
    }
    // Replies are stored in the background: the proxy that got them waits for that, the store's own size does not.
    await().atMost(Duration.ofSeconds(10)).until(() -> store.size() == 6);
    untyped.invalidate("stamp", List.of("a"), Map.of()).join();
    assertThat(store.size()).isEqualTo(5); // one entry: deleted at once
    int stamps = backend.calls("stamp");
    CacheControl.of(typed).invalidateMethod("stamp").join(); // a method: every entry stale, whatever the store holds
    untyped.call("stamp", "b");
    untyped.call("stamp", "c");
    assertThat(backend.calls("stamp")).isEqualTo(stamps + 2);
    int others = backend.calls("other");
    typed.other("a"); // another method: still cached
    assertThat(backend.calls("other")).isEqualTo(others);
    untyped.invalidateAll().join();
    typed.other("a");
    untyped.call("stamp", "b");
    assertThat(backend.calls("other")).isEqualTo(others + 1);
    assertThat(backend.calls("stamp")).isEqualTo(stamps + 3);
    assertThatThrownBy(() -> CacheControl.of("not a proxy")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void eventsReachListenersAndMicrometer() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<String> heard = new CopyOnWriteArrayList<>();
    CacheEventListener recorder = new CacheEventListener() {
      @Override
      public void onFallback(String service, String method, FallbackCause cause) {
        heard.add("fallback " + method + " " + cause);
      }

      @Override
      public void onLateReplyCached(String service, String method) {
        heard.add("late " + method);
      }
    };
    InMemoryCacheStore store = InMemoryCacheStore.create();
    CachedRpcProxy cached = CachedRpcProxy.builder(client).service(backend.name).store(store)
        .defaultPolicy(CachePolicy.custom().failoverTimeout(Duration.ofMillis(200)).build())
        .listener(new MicrometerCacheMetrics(registry)).listener(recorder).build();
    CacheFirstRpcProxy first = CacheFirstRpcProxy.builder(client).service(backend.name).store(store)
        .listener(new MicrometerCacheMetrics(registry)).build();
    cached.call("echo", "m");
    backend.failing = true;
    cached.call("echo", "m"); // error → fallback
    backend.failing = false;
    backend.delayMillis = 600;
    cached.call("echo", "m"); // timeout → fallback, then a late reply
    await().atMost(Duration.ofSeconds(3)).until(() -> heard.contains("late echo"));
    backend.delayMillis = 0;
    first.call("other", "m");
    first.call("other", "m");
    assertThat(heard).contains("fallback echo ERROR", "fallback echo TIMEOUT", "late echo");
    assertThat(registry.get("nameko4j.cache.fallbacks").tag("cause", "error").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("nameko4j.cache.fallbacks").tag("cause", "timeout").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("nameko4j.cache.late_replies").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("nameko4j.cache.misses").tag("method", "other").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("nameko4j.cache.hits").tag("method", "other").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("nameko4j.rpc.calls").tag("method", "echo").tag("outcome", "success").timer().count()).isEqualTo(2L);
    assertThat(registry.get("nameko4j.rpc.calls").tag("method", "echo").tag("outcome", "failure").timer().count()).isEqualTo(1L);
  }

  @Test
  void aListenerThatThrowsNeverBreaksACall() {
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name)
        .listener(new CacheEventListener() {
          @Override
          public void onMiss(String service, String method) {
            throw new IllegalStateException("listener bug");
          }
        }).build();
    assertThat(proxy.call("echo", "safe")).isEqualTo("safe");
  }
}
