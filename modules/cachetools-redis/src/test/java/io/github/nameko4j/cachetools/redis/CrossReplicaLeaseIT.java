package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.KryoValueCodec;
import io.github.nameko4j.cachetools.internal.CacheKeys;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The opt-in lease: one call in total when replicas miss together; a crashed owner blocks nobody for long. */
@ExtendWith(TestServicesExtension.class)
class CrossReplicaLeaseIT {
  private static final Duration TIMEOUT = Duration.ofMillis(500);

  @Test
  void replicasMissingTogetherMakeOneCallInTotal(TestServices services) {
    String ns = "lease_" + UUID.randomUUID().toString().substring(0, 8);
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client1 = Backend.client(services.amqpUri());
        NamekoRpcClient client2 = Backend.client(services.amqpUri());
        RedisCacheStore store1 = RedisCacheStore.builder(ns).uri(services.redisUri()).commandTimeout(TIMEOUT).build();
        RedisCacheStore store2 = RedisCacheStore.builder(ns).uri(services.redisUri()).commandTimeout(TIMEOUT).build()) {
      CacheFirstRpcProxy replica1 = CacheFirstRpcProxy.builder(client1).service(backend.name).store(store1)
          .crossReplicaLease(Duration.ofSeconds(5), Duration.ofSeconds(3)).build();
      CacheFirstRpcProxy replica2 = CacheFirstRpcProxy.builder(client2).service(backend.name).store(store2)
          .crossReplicaLease(Duration.ofSeconds(5), Duration.ofSeconds(3)).build();
      backend.delayMillis = 300;
      List<CompletableFuture<Object>> calls = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        calls.add((i % 2 == 0 ? replica1 : replica2).callAsync("stamp", List.of("hot"), Map.of()));
      }
      List<Object> replies = new ArrayList<>();
      calls.forEach(c -> replies.add(c.join()));
      assertThat(backend.calls("stamp")).isEqualTo(1);
      assertThat(replies).containsOnly(replies.get(0));
      replica1.invalidateAll().join();
    }
  }

  @Test
  void aCrashedOwnersLeaseDelaysOthersAtMostTheBound(TestServices services) {
    String ns = "lease_" + UUID.randomUUID().toString().substring(0, 8);
    RedisClient lettuce = RedisClient.create(services.redisUri());
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore store = RedisCacheStore.builder(ns).uri(services.redisUri()).commandTimeout(TIMEOUT).build();
        var redis = lettuce.connect()) {
      // A replica took the lease and died: its lease lives 30 s, far past the wait bound.
      String leaseKey = "nameko4j:" + ns + ":" + KryoValueCodec.create().id() + ":" + CacheKeys.derive(backend.name, "stamp", List.of("orphan"), Map.of()) + ":lease";
      redis.sync().set(leaseKey, "crashed-owner", SetArgs.Builder.nx().px(30_000));
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store)
          .crossReplicaLease(Duration.ofSeconds(30), Duration.ofMillis(500)).build();
      long start = System.nanoTime();
      Object reply = proxy.call("stamp", "orphan");
      Duration waited = Duration.ofNanos(System.nanoTime() - start);
      assertThat(reply).isEqualTo(List.of("orphan", 1));
      assertThat(waited).isBetween(Duration.ofMillis(480), Duration.ofSeconds(2));
      assertThat(redis.sync().get(leaseKey)).isEqualTo("crashed-owner"); // not ours: never released by us
      redis.sync().del(redis.sync().keys("nameko4j:" + ns + ":*").toArray(new String[0]));
    } finally {
      lettuce.shutdown();
    }
  }

  @Test
  void leaseSettingsAreChecked(TestServices services) {
    try (NamekoRpcClient client = Backend.client(services.amqpUri())) {
      assertThatThrownBy(() -> CacheFirstRpcProxy.builder(client).crossReplicaLease(Duration.ofSeconds(1), Duration.ofSeconds(2)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxWait must be positive and at most the lease");
      assertThatThrownBy(() -> CacheFirstRpcProxy.builder(client).crossReplicaLease(Duration.ZERO, Duration.ofSeconds(1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease must be positive");
    }
  }
}
