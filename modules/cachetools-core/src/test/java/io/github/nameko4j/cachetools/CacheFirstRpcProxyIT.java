package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.rpc.RpcService;
import io.github.nameko4j.testsupport.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class CacheFirstRpcProxyIT extends WithBackend {
  private final ManualClock clock = new ManualClock();
  private final InMemoryCacheStore store = InMemoryCacheStore.builder().clock(clock).build();

  @Test
  void callsTheServiceOnceThenNotAtAllThenAgainAfterTheCacheIsCleared() {
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build();
    int before = backend.calls("echo");
    assertThat(proxy.call("echo", "hi")).isEqualTo("hi");
    assertThat(backend.calls("echo")).isEqualTo(before + 1);
    for (int i = 0; i < 5; i++) {
      assertThat(proxy.call("echo", "hi")).isEqualTo("hi");
    }
    assertThat(backend.calls("echo")).isEqualTo(before + 1);
    store.clear();
    assertThat(proxy.call("echo", "hi")).isEqualTo("hi");
    assertThat(backend.calls("echo")).isEqualTo(before + 2);
  }

  /**
   * Redis answers a GET sent after a SET on the same connection with the SET's value, whether or
   * not the SET's acknowledgement has come back: the next caller must be answered from the cache.
   */
  @Test
  void theNextCallerIsAnsweredFromTheCacheOnceTheWriteIsSentNotOnlyOnceItIsAcknowledged() {
    List<CompletableFuture<Void>> acknowledgements = new CopyOnWriteArrayList<>();
    CacheStore slowToAcknowledge = new CacheStore() {
      @Override
      public CompletableFuture<byte[]> get(String key) {
        return store.get(key);
      }

      @Override
      public CompletableFuture<Void> put(String key, byte[] value, Duration ttl) {
        CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        acknowledgements.add(acknowledged);
        return store.put(key, value, ttl).thenCompose(v -> acknowledged);
      }

      @Override
      public CompletableFuture<Void> delete(String key) {
        return store.delete(key);
      }
    };
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(slowToAcknowledge)
        .storeTimeout(Duration.ofSeconds(30)).build();
    try {
      CachedReply first = proxy.callDetailedAsync("stamp", List.of("ack"), Map.of()).join();
      CachedReply second = proxy.callDetailedAsync("stamp", List.of("ack"), Map.of()).join();
      assertThat(first.source()).isEqualTo(CachedReply.Source.SERVICE);
      assertThat(second.source()).isEqualTo(CachedReply.Source.CACHE);
      assertThat(second.value()).isEqualTo(first.value());
    } finally {
      acknowledgements.forEach(a -> a.complete(null));
    }
  }

  @Test
  void eachMethodsTtlExpiresItsOwnEntries() {
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).clock(clock)
        .policy("stamp", CachePolicy.custom().ttl(Duration.ofSeconds(30)).build())
        .policy("other", CachePolicy.custom().ttl(Duration.ofMinutes(5)).build())
        .build();
    Object stamp = proxy.call("stamp", "ttl");
    Object other = proxy.call("other", "ttl");
    int otherCalls = backend.calls("other");
    clock.advance(Duration.ofSeconds(29));
    assertThat(proxy.call("stamp", "ttl")).isEqualTo(stamp);
    clock.advance(Duration.ofSeconds(2));
    assertThat(proxy.call("stamp", "ttl")).isNotEqualTo(stamp); // expired: asked again
    assertThat(proxy.call("other", "ttl")).isEqualTo(other);
    assertThat(backend.calls("other")).isEqualTo(otherCalls);
  }

  @Test
  void staleEntriesNoLongerAnswerCacheFirstButStillServeFailover() {
    CachePolicy policy = CachePolicy.custom().ttl(Duration.ofSeconds(10)).staleWindow(Duration.ofMinutes(1)).build();
    CacheFirstRpcProxy first = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).clock(clock).defaultPolicy(policy).build();
    CachedRpcProxy cached = CachedRpcProxy.builder(client).service(backend.name).store(store).clock(clock).defaultPolicy(policy).build();
    Object original = first.call("stamp", "stale");
    // The write is sent before the answer, not awaited: let it finish before time jumps, as it does at once in real time.
    await().atMost(Duration.ofSeconds(10)).until(() -> store.size() == 1);
    clock.advance(Duration.ofSeconds(20)); // past the ttl, inside the stale window
    backend.failing = true;
    assertThatThrownBy(() -> first.call("stamp", "stale")).isInstanceOf(RemoteServiceException.class);
    assertThat(cached.call("stamp", "stale")).isEqualTo(original);
    clock.advance(Duration.ofMinutes(1)); // past the stale window: gone from the store
    assertThatThrownBy(() -> cached.call("stamp", "stale")).isInstanceOf(RemoteServiceException.class);
  }

  @Test
  void aFailingCallWithNothingCachedRethrowsTheOriginalError() {
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build();
    backend.failing = true;
    assertThatThrownBy(() -> proxy.call("echo", "nothing cached"))
        .isExactlyInstanceOf(RemoteServiceException.class).hasMessage("BackendDown backend down");
    assertThat(store.size()).isZero();
  }

  @RpcService("set_at_test_time")
  interface Api {
    @Caching(ttl = "1m")
    CompletableFuture<List<Object>> stamp(String x);
  }

  @Test
  void typedAsyncProxiesCacheToo() throws Exception {
    Api api = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).clock(clock).build(Api.class);
    List<Object> first = api.stamp("typed").get();
    assertThat(api.stamp("typed").get()).isEqualTo(first);
    clock.advance(Duration.ofMinutes(2));
    assertThat(api.stamp("typed").get()).isNotEqualTo(first);
  }

  @Test
  void sixteenThreadsOverTwoHundredKeysEachGetTheirOwnReply() throws Exception {
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          for (int i = 0; i < 100; i++) {
            int key = (thread * 53 + i) % 200;
            boolean echo = (thread + i) % 2 == 0;
            Object reply = proxy.call(echo ? "echo" : "other", List.of(key), Map.of());
            Object expected = echo ? key : "other:" + key;
            if (!expected.equals(reply)) {
              throw new AssertionError("call with " + key + " got " + reply);
            }
          }
          return 100;
        }));
      }
      int total = 0;
      for (Future<Integer> f : results) {
        total += f.get();
      }
      assertThat(total).isEqualTo(1600);
    } finally {
      pool.shutdownNow();
    }
  }
}
