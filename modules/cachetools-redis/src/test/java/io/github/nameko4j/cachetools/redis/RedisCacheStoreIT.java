package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CacheStoreException;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.cachetools.KryoValueCodec;
import io.github.nameko4j.cachetools.internal.CacheKeys;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The store against the shared Redis on localhost (or REDIS_URI / Testcontainers). */
@ExtendWith(TestServicesExtension.class)
class RedisCacheStoreIT {
  // Generous: these tests check behaviour, not the default 20 ms budget, on a busy 2-core machine.
  static final Duration TIMEOUT = Duration.ofMillis(500);
  private static Backend backend;
  private static NamekoRpcClient client;
  private static RedisClient lettuce;
  private static StatefulRedisConnection<String, String> connection;
  private static RedisCommands<String, String> redis;
  private static String redisUri;
  private final String namespace = "test_" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void start(TestServices services) {
    backend = new Backend(services.amqpUri());
    client = Backend.client(services.amqpUri());
    redisUri = services.redisUri();
    lettuce = RedisClient.create(redisUri);
    connection = lettuce.connect();
    redis = connection.sync();
  }

  @AfterAll
  static void stop() {
    connection.close();
    lettuce.shutdown();
    client.close();
    backend.close();
  }

  @AfterEach
  void cleanUp() {
    backend.failing = false;
    List<String> keys = redis.keys("nameko4j:" + namespace + ":*");
    if (!keys.isEmpty()) {
      redis.del(keys.toArray(new String[0]));
    }
  }

  private RedisCacheStore store(String ns) {
    return RedisCacheStore.builder(ns).uri(redisUri).commandTimeout(TIMEOUT).build();
  }

  private String redisKey(String method, Object... args) {
    return "nameko4j:" + namespace + ":" + KryoValueCodec.create().id() + ":" + CacheKeys.derive(backend.name, method, List.of(args), Map.of());
  }

  @Test
  void eachMethodsTtlIsTheRedisExpiryAndTheStaleWindowExtendsIt() {
    try (RedisCacheStore store = store(namespace)) {
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store)
          .policy("stamp", CachePolicy.custom().ttl(Duration.ofSeconds(30)).build())
          .policy("other", CachePolicy.custom().ttl(Duration.ofSeconds(10)).staleWindow(Duration.ofSeconds(50)).build())
          .build();
      proxy.call("stamp", "t");
      proxy.call("other", "t");
      proxy.call("echo", "t");
      await().atMost(Duration.ofSeconds(2)).until(() -> redis.exists(redisKey("echo", "t")) == 1);
      assertThat(redis.pttl(redisKey("stamp", "t"))).isBetween(28_000L, 30_000L);
      assertThat(redis.pttl(redisKey("other", "t"))).isBetween(58_000L, 60_000L);
      // no ttl: kept for the store's maximum lifetime (24 h by default), never forever
      assertThat(redis.pttl(redisKey("echo", "t"))).isBetween(Duration.ofHours(24).minusMinutes(1).toMillis(), Duration.ofHours(24).toMillis());
    }
  }

  @Test
  void entriesWithoutATtlLiveForTheStoresMaximumLifetime() {
    try (RedisCacheStore store = RedisCacheStore.builder(namespace).uri(redisUri).maxEntryLifetime(Duration.ofMinutes(5)).build()) {
      CachedRpcProxy proxy = CachedRpcProxy.builder(client).service(backend.name).store(store).build();
      proxy.call("echo", "lifetime");
      await().atMost(Duration.ofSeconds(2)).until(() -> redis.exists(redisKey("echo", "lifetime")) == 1);
      assertThat(redis.pttl(redisKey("echo", "lifetime"))).isBetween(Duration.ofMinutes(4).toMillis(), Duration.ofMinutes(5).toMillis());
    }
    assertThatThrownBy(() -> RedisCacheStore.builder(namespace).maxEntryLifetime(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxEntryLifetime");
  }

  @Test
  void twoReplicasWithTheirOwnClientsShareOneWarmCache() {
    try (RedisCacheStore replica1 = store(namespace); RedisCacheStore replica2 = store(namespace)) {
      CacheFirstRpcProxy first = CacheFirstRpcProxy.builder(client).service(backend.name).store(replica1).build();
      CacheFirstRpcProxy second = CacheFirstRpcProxy.builder(client).service(backend.name).store(replica2).build();
      Object reply = first.call("stamp", "shared");
      int calls = backend.calls("stamp");
      await().atMost(Duration.ofSeconds(2)).until(() -> redis.exists(redisKey("stamp", "shared")) == 1);
      assertThat(second.call("stamp", "shared")).isEqualTo(reply);
      assertThat(backend.calls("stamp")).isEqualTo(calls); // replica 2's first call was a hit

      backend.failing = true;
      CachedRpcProxy failover = CachedRpcProxy.builder(client).service(backend.name).store(replica2).build();
      assertThat(failover.call("stamp", "shared")).isEqualTo(reply);
    }
  }

  @Test
  void namespacesKeepApplicationsApart() {
    try (RedisCacheStore mine = store(namespace); RedisCacheStore theirs = store(namespace + "_other")) {
      CacheFirstRpcProxy a = CacheFirstRpcProxy.builder(client).service(backend.name).store(mine).build();
      CacheFirstRpcProxy b = CacheFirstRpcProxy.builder(client).service(backend.name).store(theirs).build();
      Object reply = a.call("stamp", "ns");
      await().atMost(Duration.ofSeconds(2)).until(() -> redis.exists(redisKey("stamp", "ns")) == 1);
      assertThat(b.call("stamp", "ns")).isNotEqualTo(reply);
      // the other namespace wrote its own entry (asynchronously); remove it
      await().atMost(Duration.ofSeconds(2)).until(() -> !redis.keys("nameko4j:" + namespace + "_other:*").isEmpty());
      redis.del(redis.keys("nameko4j:" + namespace + "_other:*").toArray(new String[0]));
    }
  }

  @Test
  void aCorruptValueWrittenByHandIsAMissAndIsDeleted() {
    try (RedisCacheStore store = store(namespace)) {
      CachedRpcProxy proxy = CachedRpcProxy.builder(client).service(backend.name).store(store).build();
      String key = redisKey("echo", "corrupt");
      redis.set(key, "definitely not kryo");
      backend.failing = true;
      assertThatThrownBy(() -> proxy.call("echo", "corrupt")).isInstanceOf(RemoteServiceException.class);
      await().atMost(Duration.ofSeconds(2)).until(() -> redis.exists(key) == 0);
      backend.failing = false;
      assertThat(proxy.call("echo", "corrupt")).isEqualTo("corrupt");
    }
  }

  @Test
  void badSettingsFailAtBuildTimeAndPasswordsStayHidden() {
    assertThatThrownBy(() -> RedisCacheStore.builder(" ")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("namespace");
    assertThatThrownBy(() -> RedisCacheStore.builder("ns").build()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> RedisCacheStore.builder("ns").commandTimeout(Duration.ofMillis(-1)))
        .hasMessageContaining("commandTimeout");
    assertThatThrownBy(() -> RedisCacheStore.builder("ns").uri("redis://:hunter2@[bad"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("hunter2");
    try (RedisCacheStore store = RedisCacheStore.builder("ns").uri("redis://user:hunter2@127.0.0.1:1").connectTimeout(Duration.ofMillis(200)).build()) {
      assertThat(store.toString()).doesNotContain("hunter2").contains("user:***@");
      // unreachable Redis: the store says so without the password (the proxies make it a miss)
      assertThatThrownBy(() -> store.get("k").join()).hasCauseInstanceOf(CacheStoreException.class)
          .hasMessageContaining("not connected").hasMessageNotContaining("hunter2");
    }
  }
}
