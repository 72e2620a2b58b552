package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CacheTags;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.RedisServerProcess;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Invalidation through a shared store: it reaches every replica (and replicas started later), and
 * invalidating a method, a service or a tag costs the same few commands whatever Redis holds. It
 * used to SCAN every key of every master: tens of seconds at ten million keys, per replica that
 * heard the event.
 */
@ExtendWith(TestServicesExtension.class)
class RedisInvalidationIT {

  /** Commands Redis has processed so far. */
  private static long commands(RedisServerProcess redis) {
    for (String line : redis.cli("INFO", "stats").split("\n")) {
      if (line.startsWith("total_commands_processed:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    throw new IllegalStateException("no total_commands_processed in INFO stats");
  }

  /** Commands an invalidation of a method, of the service and of a tag made Redis process. */
  private static long invalidationCost(RedisServerProcess redis, CacheFirstRpcProxy proxy) {
    long before = commands(redis);
    proxy.invalidateMethod("stamp").join();
    proxy.invalidateAll().join();
    proxy.invalidateTag("product:1").join();
    return commands(redis) - before - 1; // the INFO that read `before`
  }

  @Test
  void invalidatingAMethodAServiceOrATagCostsTheSameWithAMillionUnrelatedKeysAsWithNone(TestServices services) {
    try (RedisServerProcess redis = RedisServerProcess.start("--enable-debug-command", "local");
        Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore store = RedisCacheStore.builder("cost").uri(redis.uri()).build()) {
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build();
      proxy.call("stamp", "warm");
      await().atMost(Duration.ofSeconds(10)).until(() -> store.scopeStamps().known());
      long empty = invalidationCost(redis, proxy);
      assertThat(redis.cli("DEBUG", "POPULATE", "1000000", "nameko4j:cost:unrelated")).isEqualTo("OK");
      assertThat(Long.parseLong(redis.cli("DBSIZE"))).isGreaterThan(1_000_000);
      long full = invalidationCost(redis, proxy);
      // each invalidation: one script of a handful of commands (INCR, HSET, ZADD, ZRANGEBYSCORE, PUBLISH)
      assertThat(full).as("commands with 10^6 keys (%d with none)", empty).isEqualTo(empty).isLessThanOrEqualTo(3 * 6);
    }
  }

  @Test
  void anInvalidationThroughOneReplicaReachesTheOthersAndReplicasStartedLater(TestServices services) {
    String ns = "inv_" + UUID.randomUUID().toString().substring(0, 8);
    CachePolicy tagged = CachePolicy.custom().ttl(Duration.ofMinutes(5)).tags(CacheTags.template("product:{0}")).build();
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore a = RedisCacheStore.builder(ns).uri(services.redisUri()).build();
        RedisCacheStore b = RedisCacheStore.builder(ns).uri(services.redisUri()).build()) {
      CacheFirstRpcProxy replicaA = CacheFirstRpcProxy.builder(client).service(backend.name).store(a).defaultPolicy(tagged).build();
      CacheFirstRpcProxy replicaB = CacheFirstRpcProxy.builder(client).service(backend.name).store(b).defaultPolicy(tagged).build();
      Object first = replicaA.call("stamp", 7);
      await().atMost(Duration.ofSeconds(5)).until(() -> replicaB.call("stamp", 7).equals(first)); // B reads A's entry

      replicaA.invalidateTag("product:7").join();
      await().atMost(Duration.ofSeconds(2)).until(() -> !replicaB.call("stamp", 7).equals(first)); // B heard it
      Object second = replicaB.call("stamp", 7);

      replicaA.invalidateMethod("stamp").join();
      try (RedisCacheStore late = RedisCacheStore.builder(ns).uri(services.redisUri()).build()) {
        CacheFirstRpcProxy replicaC = CacheFirstRpcProxy.builder(client).service(backend.name).store(late).defaultPolicy(tagged).build();
        await().atMost(Duration.ofSeconds(10)).until(() -> late.scopeStamps().known());
        int calls = backend.calls("stamp");
        assertThat(replicaC.call("stamp", 7)).as("an entry written before the invalidation, read by a replica started after it")
            .isNotEqualTo(second);
        assertThat(backend.calls("stamp")).isEqualTo(calls + 1);
      }
      replicaA.invalidateAll().join();
    }
  }
}
