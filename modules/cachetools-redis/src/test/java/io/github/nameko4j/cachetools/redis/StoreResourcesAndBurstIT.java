package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.KryoValueCodec;
import io.github.nameko4j.cachetools.internal.CacheKeys;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Threads and connections the stores own, bursts of callers, and near copies of short-lived entries. */
@ExtendWith(TestServicesExtension.class)
class StoreResourcesAndBurstIT {

  private static long threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
  }

  @Test
  void storesShareOneTimerAndEventLoopsAndCloseReleasesEveryThread(TestServices services) {
    await().atMost(Duration.ofSeconds(10)).until(() -> threadsNamed("nameko4j-redis-timeouts") == 0);
    for (int cycle = 0; cycle < 5; cycle++) {
      List<RedisCacheStore> stores = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        stores.add(RedisCacheStore.builder("threads").uri(services.redisUri()).build());
      }
      stores.forEach(s -> s.put("k", new byte[] {1}, Duration.ofSeconds(5)).join());
      assertThat(threadsNamed("nameko4j-redis-timeouts")).isEqualTo(1); // one timer for the three stores
      stores.forEach(RedisCacheStore::close);
    }
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(threadsNamed("nameko4j-redis-timeouts")).isZero();
      assertThat(threadsNamed("lettuce-")).isZero();
    });
  }

  /** Counts the lookups that reach the store. */
  static final class CountingStore implements CacheStore {
    final CacheStore inner;
    final AtomicInteger gets = new AtomicInteger();

    CountingStore(CacheStore inner) {
      this.inner = inner;
    }

    @Override
    public CompletableFuture<byte[]> get(String key) {
      gets.incrementAndGet();
      return inner.get(key);
    }

    @Override
    public CompletableFuture<Void> put(String key, byte[] value, Duration ttl) {
      return inner.put(key, value, ttl);
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
      return inner.delete(key);
    }

    @Override
    public CompletableFuture<Long> deleteByPrefix(String prefix) {
      return inner.deleteByPrefix(prefix);
    }

    @Override
    public boolean boundsItsOwnLatency() {
      return inner.boundsItsOwnLatency();
    }
  }

  @Test
  void aHundredConcurrentCallersOnAColdKeyMakeOneLookupAndOneCall(TestServices services) {
    String ns = "burst_" + UUID.randomUUID().toString().substring(0, 8);
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore redis = RedisCacheStore.builder(ns).uri(services.redisUri()).build()) {
      CountingStore store = new CountingStore(redis);
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build();
      backend.delayMillis = 200;
      List<CompletableFuture<Object>> calls = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        calls.add(proxy.callAsync("stamp", List.of("cold"), Map.of()));
      }
      calls.forEach(CompletableFuture::join);
      assertThat(store.gets).hasValue(1);
      assertThat(backend.calls("stamp")).isEqualTo(1);
      proxy.invalidateAll().join();
    }
  }

  @Test
  void theSecondReplicasFirstCallIsAHitEveryTimeWithDefaults(TestServices services) {
    String ns = "second_" + UUID.randomUUID().toString().substring(0, 8);
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore replicaA = RedisCacheStore.builder(ns).uri(services.redisUri()).build();
        RedisCacheStore replicaB = RedisCacheStore.builder(ns).uri(services.redisUri()).build()) {
      CacheFirstRpcProxy a = CacheFirstRpcProxy.builder(client).service(backend.name).store(replicaA).build();
      CacheFirstRpcProxy b = CacheFirstRpcProxy.builder(client).service(backend.name).store(replicaB).build();
      for (int i = 0; i < 40; i++) {
        Object first = a.call("stamp", "k" + i);
        int calls = backend.calls("stamp");
        // A's caller does not wait for the write; a write dropped for missing its budget never lands.
        String key = KryoValueCodec.create().id() + ":" + CacheKeys.derive(backend.name, "stamp", List.of("k" + i), Map.of());
        await("entry " + i + " written").atMost(Duration.ofSeconds(5)).until(() -> replicaB.get(key).join() != null);
        assertThat(b.call("stamp", "k" + i)).as("call %d", i).isEqualTo(first);
        assertThat(backend.calls("stamp")).as("call %d", i).isEqualTo(calls);
      }
      a.invalidateAll().join();
    }
  }
}
