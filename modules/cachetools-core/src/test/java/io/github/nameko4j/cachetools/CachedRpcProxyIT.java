package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Output;
import io.github.nameko4j.cachetools.internal.CacheKeys;
import io.github.nameko4j.cachetools.internal.Entry;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.rpc.RpcService;
import io.github.nameko4j.rpc.UnknownServiceException;
import io.github.nameko4j.testsupport.TestServices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class CachedRpcProxyIT extends WithBackend {

  private CachedRpcProxy proxy(InMemoryCacheStore store, CachePolicy policy) {
    return CachedRpcProxy.builder(client).service(backend.name).store(store).defaultPolicy(policy).build();
  }

  @Test
  void returnsTheCachedReplyWhenTheServiceErrorsAndRethrowsWhenNothingIsCached() {
    InMemoryCacheStore store = InMemoryCacheStore.create();
    CachedRpcProxy proxy = proxy(store, CachePolicy.ofDefaults());
    List<?> first = (List<?>) proxy.call("stamp", "a");
    int before = backend.calls("stamp");
    backend.failing = true;
    assertThat(proxy.call("stamp", "a")).isEqualTo(first);
    assertThat(backend.calls("stamp")).isEqualTo(before + 1); // it did ask the service
    assertThatThrownBy(() -> proxy.call("stamp", "b"))
        .isExactlyInstanceOf(RemoteServiceException.class)
        .satisfies(e -> assertThat(((RemoteServiceException) e).excType()).isEqualTo("BackendDown"));
    store.clear();
    assertThatThrownBy(() -> proxy.call("stamp", "a")).isInstanceOf(RemoteServiceException.class).hasMessage("BackendDown backend down");
  }

  @Test
  void answersFromTheCacheWhenTheServiceIsSlowerThanTheFailoverTimeout() {
    CachedRpcProxy proxy = proxy(InMemoryCacheStore.create(), CachePolicy.custom().failoverTimeout(Duration.ofSeconds(1)).build());
    Object first = proxy.call("stamp", "slow");
    backend.delayMillis = 3000;
    long start = System.nanoTime();
    assertThat(proxy.call("stamp", "slow")).isEqualTo(first);
    Duration cachedIn = Duration.ofNanos(System.nanoTime() - start);
    assertThat(cachedIn).isBetween(Duration.ofMillis(950), Duration.ofSeconds(2));

    start = System.nanoTime();
    Object uncached = proxy.call("stamp", "never-cached");
    Duration waited = Duration.ofNanos(System.nanoTime() - start);
    assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(2950));
    assertThat((List<?>) uncached).first().isEqualTo("never-cached");
  }

  @Test
  void detailedRepliesSayWhereTheyCameFromAndWhy() throws Exception {
    CachedRpcProxy proxy = proxy(InMemoryCacheStore.create(), CachePolicy.custom().failoverTimeout(Duration.ofMillis(200)).build());
    CachedReply fresh = proxy.callDetailedAsync("echo", List.of("d"), Map.of()).get();
    assertThat(fresh.source()).isEqualTo(CachedReply.Source.SERVICE);
    assertThat(fresh.fallbackCause()).isEmpty();
    backend.delayMillis = 1000;
    CachedReply slow = proxy.callDetailedAsync("echo", List.of("d"), Map.of()).get();
    assertThat(slow.source()).isEqualTo(CachedReply.Source.CACHE);
    assertThat(slow.fallbackCause()).containsInstanceOf(TimeoutException.class);
    assertThat(slow.fallbackCause().orElseThrow()).as("worded by the call, not by Resilience4j's timer")
        .hasMessage("no reply from " + backend.name + ".echo within 200 ms");
    // While that RPC is in flight, callers of the key share it; once it ends, the next one calls anew.
    await().atMost(Duration.ofSeconds(10)).until(() -> client.inFlight() == 0);
    backend.delayMillis = 0;
    backend.failing = true;
    CachedReply failed = proxy.callDetailedAsync("echo", List.of("d"), Map.of()).get();
    assertThat(failed.value()).isEqualTo("d");
    assertThat(failed.fallbackCause()).containsInstanceOf(RemoteServiceException.class);
  }

  @Test
  void aReplyArrivingAfterTheFailoverTimeoutStillRefreshesTheCache() {
    InMemoryCacheStore store = InMemoryCacheStore.create();
    CachedRpcProxy proxy = proxy(store, CachePolicy.custom().failoverTimeout(Duration.ofMillis(300)).build());
    List<?> first = (List<?>) proxy.call("stamp", "late");
    backend.delayMillis = 1000;
    assertThat(proxy.call("stamp", "late")).isEqualTo(first); // from the cache, after 300 ms
    int lateCall = (Integer) first.get(1) + 1;
    // The late reply lands about 700 ms later and replaces the entry.
    backend.delayMillis = 0;
    backend.failing = true;
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(proxy.call("stamp", "late")).isEqualTo(List.of("late", lateCall)));
  }

  @Test
  void nestedMapsWithIntegerKeysTuplesAndFloatsComeBackIntactFromTheCache() {
    Map<Integer, Object> big = new LinkedHashMap<>();
    for (int i = 0; i < 400; i++) {
      Map<String, Object> inner = new LinkedHashMap<>();
      inner.put("tuple", List.of(i, "t" + i));
      inner.put("float", i / 7.0);
      inner.put("nested", Map.of(i, List.of(1.5, Map.of("deep", i))));
      big.put(i, inner);
    }
    CachedRpcProxy proxy = proxy(InMemoryCacheStore.create(), CachePolicy.ofDefaults());
    Object fresh = proxy.call("echo", big);
    backend.failing = true;
    Object cached = proxy.call("echo", big);
    assertThat(cached).isEqualTo(fresh);
    Map<?, ?> asJson = (Map<?, ?>) cached;
    assertThat(asJson).hasSize(400);
    Map<?, ?> entry = (Map<?, ?>) asJson.get("399");
    assertThat(entry.get("tuple")).isEqualTo(List.of(399, "t399"));
    assertThat(entry.get("float")).isEqualTo(399 / 7.0);
    assertThat(entry.get("nested")).isEqualTo(Map.of("399", List.of(1.5, Map.of("deep", 399))));
  }

  @Test
  void methodsAndServicesWithTheSameArgumentsNeverShareAnEntry() {
    InMemoryCacheStore shared = InMemoryCacheStore.create();
    CachedRpcProxy proxy = proxy(shared, CachePolicy.ofDefaults());
    assertThat(proxy.call("echo", 1)).isEqualTo(1);
    backend.failing = true;
    assertThatThrownBy(() -> proxy.call("other", 1)).isInstanceOf(RemoteServiceException.class); // the original returned 1 here
    try (Backend second = new Backend(TestServices.get().amqpUri())) {
      second.failing = true;
      CachedRpcProxy other = CachedRpcProxy.builder(client).service(second.name).store(shared).build();
      assertThatThrownBy(() -> other.call("echo", 1)).isInstanceOf(RemoteServiceException.class);
    }
  }

  @Test
  void withTransportOnlyFallbackTheServicesOwnErrorsReachTheCaller() {
    CachedRpcProxy proxy = proxy(InMemoryCacheStore.create(), CachePolicy.custom().fallbackOn(CachePolicy.TRANSPORT_ERRORS).build());
    proxy.call("echo", "x");
    backend.failing = true;
    assertThatThrownBy(() -> proxy.call("echo", "x")).isInstanceOf(RemoteServiceException.class);
    CachedRpcProxy unknown = CachedRpcProxy.builder(client).service("nobody_home_" + backend.name)
        .defaultPolicy(CachePolicy.custom().fallbackOn(CachePolicy.TRANSPORT_ERRORS).build()).build();
    assertThatThrownBy(() -> unknown.call("echo", "x")).isInstanceOf(UnknownServiceException.class);
  }

  @Test
  void corruptOrForbiddenEntriesAreMissesAndGetDeleted() {
    InMemoryCacheStore store = InMemoryCacheStore.create();
    CachedRpcProxy proxy = proxy(store, CachePolicy.ofDefaults());
    backend.failing = true;
    String key = KryoValueCodec.create().id() + ":" + CacheKeys.derive(backend.name, "echo", List.of("poisoned"), Map.of());
    List<byte[]> bad = List.of(
        new byte[] {1, 2, 3},                                       // shorter than the header
        new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 99, 98, 97},          // header + junk
        Entry.wrap(Long.MAX_VALUE, forgedKryo()));
    for (byte[] entry : bad) {
      store.put(key, entry, null);
      assertThatThrownBy(() -> proxy.call("echo", "poisoned")).isInstanceOf(RemoteServiceException.class);
      await().atMost(Duration.ofSeconds(2)).until(() -> store.get(key).join() == null);
    }
    backend.failing = false;
    assertThat(proxy.call("echo", "poisoned")).isEqualTo("poisoned");
  }

  private static byte[] forgedKryo() {
    Kryo attacker = new Kryo();
    attacker.setRegistrationRequired(false);
    Output out = new Output(256, -1);
    attacker.writeClassAndObject(out, new RecordsInstantiation());
    return out.toBytes();
  }

  @Test
  void sixteenThreadsOverTwoHundredKeysEachGetTheirOwnReply() throws Exception {
    CachedRpcProxy proxy = proxy(InMemoryCacheStore.create(), CachePolicy.ofDefaults());
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          int checked = 0;
          for (int i = 0; i < 60; i++) {
            int key = (thread * 37 + i) % 200;
            Object reply = proxy.call(i % 2 == 0 ? "echo" : "other", key);
            Object expected = i % 2 == 0 ? key : "other:" + key;
            if (!expected.equals(reply)) {
              throw new AssertionError("call with " + key + " got " + reply);
            }
            checked++;
          }
          return checked;
        }));
      }
      int total = 0;
      for (Future<Integer> f : results) {
        total += f.get();
      }
      assertThat(total).isEqualTo(960);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void badInputIsATypedErrorNothingIsCachedAndTheProxyStaysUsable() {
    InMemoryCacheStore store = InMemoryCacheStore.create();
    CachedRpcProxy proxy = proxy(store, CachePolicy.ofDefaults());
    assertThatThrownBy(() -> proxy.call(null, 1)).isInstanceOf(IllegalArgumentException.class).hasMessage("method must not be null");
    assertThatThrownBy(() -> proxy.call("  ", 1)).isInstanceOf(IllegalArgumentException.class).hasMessage("method must not be blank");
    assertThatThrownBy(() -> proxy.call("echo", 1, new Object()))
        .isInstanceOf(CodecException.class).hasMessageContaining("argument 1 (a value of type java.lang.Object)");
    Map<String, Object> cyclic = new HashMap<>();
    cyclic.put("me", cyclic);
    assertThatThrownBy(() -> proxy.call("echo", List.of(cyclic), Map.of()))
        .isInstanceOf(CodecException.class).hasMessageContaining("argument 0").hasMessageContaining("cyclic");
    assertThatThrownBy(() -> proxy.call("echo", List.of(), Map.of("loop", cyclic)))
        .isInstanceOf(CodecException.class).hasMessageContaining("keyword argument 'loop'");
    assertThat(store.size()).isZero();
    assertThat(proxy.call("echo", "ok")).isEqualTo("ok");
    assertThatThrownBy(() -> CachedRpcProxy.builder(client).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("service must be set");
    assertThatThrownBy(() -> CachedRpcProxy.builder(client).service("has.dot"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("service 'has.dot'");
  }

  @RpcService("set_at_test_time")
  interface Api {
    @Caching(failoverTimeout = "300ms")
    List<Object> stamp(String x);

    String other(String x);
  }

  interface BadApi {
    @Caching(ttl = "soon")
    Object echo(Object x);
  }

  @Test
  void typedProxiesTakePerMethodPoliciesFromAnnotationsAndCheckThemAtBuildTime() {
    Api api = CachedRpcProxy.builder(client).service(backend.name).build(Api.class);
    List<Object> first = api.stamp("typed");
    backend.delayMillis = 2000;
    assertThat(api.stamp("typed")).isEqualTo(first); // a fresh stamp would differ: the annotation's failover answered
    assertThatThrownBy(() -> CachedRpcProxy.builder(client).service(backend.name).policy("nope", CachePolicy.ofDefaults()).build(Api.class))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("policy for unknown method 'nope'");
    assertThatThrownBy(() -> CachedRpcProxy.builder(client).service(backend.name).build(BadApi.class))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("@Caching(ttl) on BadApi.echo").hasMessageContaining("'soon'");
  }
}
