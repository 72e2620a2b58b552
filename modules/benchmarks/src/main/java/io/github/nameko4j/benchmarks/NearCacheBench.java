package io.github.nameko4j.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.testsupport.Queues;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Issue 8: a near-cache hit, at the store and through a proxy, vs a Caffeine get. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class NearCacheBench {
  RedisCacheStore store;
  NamekoRpcServer server;
  NamekoRpcClient client;
  CacheFirstRpcProxy proxy;
  Cache<String, byte[]> caffeine;
  Cache<String, byte[]> caffeineWithExpiry;
  String key = "kryo1:bench:echo:key";
  final List<Object> args = List.of("hello");

  String service;

  @Setup
  public void setUp() throws InterruptedException {
    service = "bench_near_" + UUID.randomUUID().toString().substring(0, 8);
    store = RedisCacheStore.builder("bench-near-" + service).uri(Benchmarks.redisUri()).commandTimeout(Duration.ofSeconds(1))
        .nearCache(10_000, Duration.ofMinutes(5)).build();
    server = NamekoRpcServer.builder().uri(Benchmarks.amqpUri()).service(service, new Benchmarks.Echo()).start();
    client = NamekoRpcClient.builder().uri(Benchmarks.amqpUri()).build();
    proxy = CacheFirstRpcProxy.builder(client).service(service).store(store).build();
    Thread.sleep(500); // subscribed
    store.put(key, new byte[] {1, 2, 3}, null).join();
    for (int i = 0; i < 10 && store.nearCacheSize() < 1; i++) {
      store.get(key).join();
      Thread.sleep(50);
    }
    proxy.call("echo", args, Map.of());
    for (int i = 0; i < 20; i++) {
      proxy.call("echo", args, Map.of());
      Thread.sleep(20);
    }
    caffeine = Caffeine.newBuilder().maximumSize(10_000).build();
    caffeine.put(key, new byte[] {1, 2, 3});
    // The fair baseline: the near cache bounds each entry by its own Redis expiry, so does this one.
    caffeineWithExpiry = Caffeine.newBuilder().maximumSize(10_000).expireAfter(new Expiry<String, byte[]>() {
      @Override
      public long expireAfterCreate(String k, byte[] v, long now) {
        return TimeUnit.MINUTES.toNanos(5);
      }

      @Override
      public long expireAfterUpdate(String k, byte[] v, long now, long current) {
        return TimeUnit.MINUTES.toNanos(5);
      }

      @Override
      public long expireAfterRead(String k, byte[] v, long now, long current) {
        return current;
      }
    }).build();
    caffeineWithExpiry.put(key, new byte[] {1, 2, 3});
  }

  @TearDown
  public void tearDown() {
    proxy.invalidateAll().join();
    store.delete(key).join();
    client.close();
    server.close();
    Queues.deleteServiceQueues(Benchmarks.amqpUri(), service);
    store.close();
  }

  @Benchmark
  public byte[] storeNearHit() {
    return store.get(key).join();
  }

  @Benchmark
  public byte[] caffeineGet() {
    return caffeine.getIfPresent(key);
  }

  @Benchmark
  public byte[] caffeineWithExpiryGet() {
    return caffeineWithExpiry.getIfPresent(key);
  }

  @Benchmark
  public Object proxyNearHit() {
    return proxy.call("echo", args, Map.of());
  }
}
