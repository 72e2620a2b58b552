package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** How long entries live in Redis: jittered ttls, and ttls the reply gives (issue 29). */
@ExtendWith(TestServicesExtension.class)
class EntryLifetimesIT {

  /** The Redis expiry (PTTL, ms) of every entry of a namespace. */
  private static List<Long> expiries(StatefulRedisConnection<String, String> redis, String ns) {
    List<Long> ttls = new ArrayList<>();
    for (String key : redis.sync().keys("nameko4j:" + ns + ":*")) {
      if (!key.endsWith(":stamps") && !key.contains(":invalidations")) {
        ttls.add(redis.sync().pttl(key));
      }
    }
    Collections.sort(ttls);
    return ttls;
  }

  private static void cacheKeys(CacheFirstRpcProxy proxy, int keys) {
    List<CompletableFuture<Object>> calls = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      calls.add(proxy.callAsync("echo", List.of("k" + i), Map.of()));
    }
    calls.forEach(CompletableFuture::join);
    proxy.close(); // waits for the writes
  }

  @Test
  void jitteredTtlsSpreadOverTheConfiguredRangeWhereUnjitteredOnesDoNot(TestServices services) {
    String plain = "life_plain_" + UUID.randomUUID().toString().substring(0, 8);
    String jittered = "life_jitter_" + UUID.randomUUID().toString().substring(0, 8);
    RedisClient lettuce = RedisClient.create(services.redisUri());
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore plainStore = RedisCacheStore.builder(plain).uri(services.redisUri()).build();
        RedisCacheStore jitterStore = RedisCacheStore.builder(jittered).uri(services.redisUri()).build();
        StatefulRedisConnection<String, String> redis = lettuce.connect()) {
      Duration ttl = Duration.ofSeconds(60);
      cacheKeys(CacheFirstRpcProxy.builder(client).service(backend.name).store(plainStore)
          .defaultPolicy(CachePolicy.custom().ttl(ttl).build()).build(), 100);
      cacheKeys(CacheFirstRpcProxy.builder(client).service(backend.name).store(jitterStore)
          .defaultPolicy(CachePolicy.custom().ttl(ttl).ttlJitter(Duration.ofSeconds(30)).build()).build(), 100);

      List<Long> flat = expiries(redis, plain);
      List<Long> spread = expiries(redis, jittered);
      assertThat(flat).hasSize(100);
      assertThat(spread).hasSize(100);
      // Written within moments of one another: without jitter they expire within a few seconds.
      assertThat(flat.get(99) - flat.get(0)).isLessThan(5_000);
      assertThat(flat.get(99)).isLessThanOrEqualTo(60_000);
      // With 30 s of jitter: all between 60 s and 90 s (minus the seconds the test took) and spread
      // over most of it (100 uniform draws all within a 15 s half is a 1-in-2^99 event).
      assertThat(spread.get(0)).isGreaterThan(50_000);
      assertThat(spread.get(99)).isLessThanOrEqualTo(90_000);
      assertThat(spread.get(99) - spread.get(0)).isGreaterThan(15_000);
      List<String> keys = new ArrayList<>(redis.sync().keys("nameko4j:" + plain + ":*"));
      keys.addAll(redis.sync().keys("nameko4j:" + jittered + ":*"));
      redis.sync().del(keys.toArray(new String[0]));
    } finally {
      lettuce.shutdown();
    }
  }

  @Test
  void theReplyGivesItsOwnTtlOrSaysNotToCacheIt(TestServices services) {
    String ns = "life_reply_" + UUID.randomUUID().toString().substring(0, 8);
    RedisClient lettuce = RedisClient.create(services.redisUri());
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore store = RedisCacheStore.builder(ns).uri(services.redisUri()).build();
        StatefulRedisConnection<String, String> redis = lettuce.connect()) {
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store)
          .defaultPolicy(CachePolicy.custom().ttl(Duration.ofSeconds(30)).ttlFromField("max_age").build()).build();
      Map<String, Object> tenMinutes = Map.of("price", 12, "max_age", 600);
      assertThat(proxy.call("echo", tenMinutes)).isEqualTo(tenMinutes);
      assertThat(proxy.call("echo", tenMinutes)).isEqualTo(tenMinutes);
      assertThat(backend.calls("echo")).isEqualTo(1);
      assertThat(expiries(redis, ns)).singleElement().satisfies(ms -> assertThat(ms).isBetween(590_000L, 600_000L));

      Map<String, Object> uncacheable = Map.of("price", 13, "max_age", 0);
      assertThat(proxy.call("echo", uncacheable)).isEqualTo(uncacheable);
      assertThat(proxy.call("echo", uncacheable)).isEqualTo(uncacheable);
      assertThat(backend.calls("echo")).isEqualTo(3); // asked both times: never cached

      Map<String, Object> noField = Map.of("price", 14);
      assertThat(proxy.call("echo", noField)).isEqualTo(noField);
      proxy.close();
      assertThat(expiries(redis, ns)).hasSize(2).element(0).satisfies(ms -> assertThat(ms).isBetween(20_000L, 30_000L));
      redis.sync().del(redis.sync().keys("nameko4j:" + ns + ":*").toArray(new String[0]));
    } finally {
      lettuce.shutdown();
    }
  }
}
