package io.github.nameko4j.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.InMemoryCacheStore;
import io.github.nameko4j.cachetools.KryoValueCodec;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.testsupport.Queues;
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

/** Row 2b: a CacheFirstRpcProxy hit on the in-process store vs Caffeine getIfPresent plus decode. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class InProcessHitBench {
  public static class Echo {
    @Rpc
    public Object echo(Object x) {
      return x;
    }
  }

  NamekoRpcClient client;
  NamekoRpcServer server;
  CacheFirstRpcProxy proxy;
  Cache<String, byte[]> caffeine;
  KryoValueCodec codec;
  String key;
  final List<Object> args = List.of("hello");

  String service;

  @Setup
  public void setUp() {
    String amqp = Benchmarks.amqpUri();
    service = "bench_hit_" + UUID.randomUUID().toString().substring(0, 8);
    server = NamekoRpcServer.builder().uri(amqp).service(service, new Echo()).start();
    client = NamekoRpcClient.builder().uri(amqp).build();
    proxy = CacheFirstRpcProxy.builder(client).service(service).store(InMemoryCacheStore.create()).build();
    proxy.call("echo", "hello"); // cached from now on
    codec = KryoValueCodec.create();
    caffeine = Caffeine.newBuilder().maximumSize(10_000).build();
    key = "kryo1:" + service + ":echo:somehash";
    caffeine.put(key, codec.encode("hello"));
  }

  @TearDown
  public void tearDown() {
    client.close();
    server.close();
    Queues.deleteServiceQueues(Benchmarks.amqpUri(), service);
  }

  @Benchmark
  public Object proxyHit() {
    return proxy.call("echo", args, Map.of());
  }

  @Benchmark
  public Object caffeineGetAndDecode() {
    return codec.decode(caffeine.getIfPresent(key));
  }
}
