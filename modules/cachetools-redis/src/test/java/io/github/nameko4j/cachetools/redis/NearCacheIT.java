package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.testsupport.RedisServerProcess;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The near cache: local hits, invalidation across replicas, cleared when its channel drops; and prefix invalidation in Redis. */
@ExtendWith(TestServicesExtension.class)
class NearCacheIT {
  private static final Duration TIMEOUT = Duration.ofMillis(500);

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void anOverwriteOrDeleteByOneReplicaInvalidatesTheOthersNearCache() {
    try (RedisServerProcess redis = RedisServerProcess.start();
        RedisCacheStore a = RedisCacheStore.builder("near").uri(redis.uri()).commandTimeout(TIMEOUT).nearCache(1000, Duration.ofMinutes(5)).build();
        RedisCacheStore b = RedisCacheStore.builder("near").uri(redis.uri()).commandTimeout(TIMEOUT).nearCache(1000, Duration.ofMinutes(5)).build()) {
      await().atMost(Duration.ofSeconds(5)).until(() -> redis.cli("PUBSUB", "NUMSUB", "nameko4j:near:invalidations").endsWith("2"));
      a.put("k", bytes("v1"), null).join();
      assertThat(b.get("k").join()).isEqualTo(bytes("v1")); // from Redis
      // a's announcement may land during that read, and then b rightly declines to keep it: read again
      await().atMost(Duration.ofSeconds(2)).until(() -> {
        b.get("k").join();
        return b.nearCacheSize() == 1;
      });
      redis.cli("SET", "nameko4j:near:k", "changed-behind-our-back");
      assertThat(b.get("k").join()).isEqualTo(bytes("v1")); // proof the hit is local: Redis was not asked

      a.put("k", bytes("v2"), null).join(); // through the store: announced
      await().atMost(Duration.ofSeconds(2)).until(() -> Arrays.equals(b.get("k").join(), bytes("v2")));

      a.delete("k").join();
      await().atMost(Duration.ofSeconds(2)).until(() -> b.get("k").join() == null);

      a.put("p:1", bytes("x"), null).join();
      a.put("p:2", bytes("y"), null).join();
      b.get("p:1").join();
      b.get("p:2").join();
      assertThat(a.deleteByPrefix("p:").join()).isEqualTo(2L);
      await().atMost(Duration.ofSeconds(2)).until(() -> b.get("p:1").join() == null && b.get("p:2").join() == null);
    }
  }

  @Test
  void whenTheInvalidationChannelDropsTheNearCacheIsCleared() {
    try (RedisServerProcess redis = RedisServerProcess.start();
        RedisCacheStore store = RedisCacheStore.builder("drop").uri(redis.uri()).commandTimeout(TIMEOUT).nearCache(1000, Duration.ofMinutes(5)).build()) {
      await().atMost(Duration.ofSeconds(5)).until(() -> redis.cli("PUBSUB", "NUMSUB", "nameko4j:drop:invalidations").endsWith("1"));
      store.put("k", bytes("v"), null).join();
      assertThat(store.nearCacheSize()).isEqualTo(1);
      redis.cli("CLIENT", "KILL", "TYPE", "pubsub");
      await().atMost(Duration.ofSeconds(5)).until(() -> store.nearCacheSize() == 0);
      // and it fills again once resubscribed
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        store.get("k").join();
        assertThat(store.nearCacheSize()).isEqualTo(1);
      });
    }
  }

  @Test
  void invalidatingAMethodWorksForEveryReplicaThroughRedis(TestServices services) {
    String ns = "inv_" + UUID.randomUUID().toString().substring(0, 8);
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient c1 = Backend.client(services.amqpUri());
        NamekoRpcClient c2 = Backend.client(services.amqpUri());
        RedisCacheStore s1 = RedisCacheStore.builder(ns).uri(services.redisUri()).commandTimeout(TIMEOUT).nearCache(100, Duration.ofMinutes(1)).build();
        RedisCacheStore s2 = RedisCacheStore.builder(ns).uri(services.redisUri()).commandTimeout(TIMEOUT).nearCache(100, Duration.ofMinutes(1)).build()) {
      CacheFirstRpcProxy r1 = CacheFirstRpcProxy.builder(c1).service(backend.name).store(s1).build();
      CacheFirstRpcProxy r2 = CacheFirstRpcProxy.builder(c2).service(backend.name).store(s2).build();
      Object first = r1.call("stamp", "x");
      await().atMost(Duration.ofSeconds(2)).until(() -> r2.call("stamp", "x").equals(first)); // replica 2 holds it near
      r1.invalidateMethod("stamp").join();
      await().atMost(Duration.ofSeconds(2)).until(() -> !r2.call("stamp", "x").equals(first)); // replica 2 asks again
      r2.invalidateAll().join();
    }
  }

  @Test
  void aNearCopyNeverOutlivesTheRedisEntryItCopies(TestServices services) {
    try (RedisServerProcess redis = RedisServerProcess.start();
        Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore a = RedisCacheStore.builder("nearttl").uri(redis.uri()).commandTimeout(TIMEOUT).nearCache(1000, Duration.ofMinutes(5)).build();
        RedisCacheStore b = RedisCacheStore.builder("nearttl").uri(redis.uri()).commandTimeout(TIMEOUT).nearCache(1000, Duration.ofMinutes(5)).build()) {
      await().atMost(Duration.ofSeconds(5)).until(() -> redis.cli("PUBSUB", "NUMSUB", "nameko4j:nearttl:invalidations").endsWith("2"));
      CachePolicy shortLived = CachePolicy.custom().ttl(Duration.ofSeconds(2)).build();
      CachedRpcProxy replicaA = CachedRpcProxy.builder(client).service(backend.name).store(a).defaultPolicy(shortLived).build();
      CachedRpcProxy replicaB = CachedRpcProxy.builder(client).service(backend.name).store(b).defaultPolicy(shortLived).build();
      Object reply = replicaA.call("stamp", "short");
      backend.failing = true;
      // B falls back to the entry, reading it from Redis into its near cache (kept 5 min at most)
      await().atMost(Duration.ofSeconds(2)).until(() -> reply.equals(replicaB.call("stamp", "short")) && b.nearCacheSize() == 1);
      await().atMost(Duration.ofSeconds(10)).until(() -> redis.cli("DBSIZE").equals("0")); // Redis let it expire: no message says so
      assertThatThrownBy(() -> replicaA.call("stamp", "short")).isInstanceOf(RemoteServiceException.class);
      assertThatThrownBy(() -> replicaB.call("stamp", "short")).isInstanceOf(RemoteServiceException.class);
    }
  }
}
