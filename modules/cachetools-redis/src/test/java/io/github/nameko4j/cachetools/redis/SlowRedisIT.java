package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.KryoValueCodec;
import io.github.nameko4j.cachetools.internal.CacheKeys;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.TcpProxy;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Slow is not down: a Redis whose every answer comes 60 ms late (three times the 20 ms budget
 * floor, far within the 1 s hard timeout) used to count each read as a failure, open the circuit
 * and switch the shared cache off. Now its circuit stays closed, the read budget grows to what
 * the store can do, writes land, and repeated calls are hits.
 */
@ExtendWith(TestServicesExtension.class)
class SlowRedisIT {
  private static final int KEYS = 25;

  @Test
  void aStoreWhoseReadsAreSlowButNeverFailKeepsItsCircuitClosedAndItsWritesLand(TestServices services) throws Exception {
    URI redisUri = URI.create(services.redisUri());
    String ns = "slow_" + UUID.randomUUID().toString().substring(0, 8);
    RedisClient direct = RedisClient.create(services.redisUri());
    try (TcpProxy slow = TcpProxy.to(redisUri.getHost(), redisUri.getPort());
        StatefulRedisConnection<String, String> redis = direct.connect();
        Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore store = RedisCacheStore.builder(ns).uri("redis://127.0.0.1:" + slow.port()).build()) {
      slow.delayToClient(Duration.ofMillis(60));
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store)
          .defaultPolicy(CachePolicy.custom().ttl(Duration.ofMinutes(5)).build()).build();
      for (int k = 0; k < KEYS; k++) {
        proxy.call("stamp", "k" + k);
      }
      int cached = 0;
      for (int round = 0; round < 2; round++) {
        for (int k = 0; k < KEYS; k++) {
          CachedReply reply = proxy.callDetailedAsync("stamp", List.of("k" + k), Map.of()).join();
          cached += reply.source() == CachedReply.Source.CACHE ? 1 : 0;
        }
      }
      assertThat(store.failures()).as("slow answers are not failures").isZero();
      assertThat(store.circuitState()).isEqualTo(RedisCacheStore.CircuitState.CLOSED);
      assertThat(store.state()).isEqualTo(RedisCacheStore.State.UP);
      assertThat(store.lookupBudget()).as("the read budget follows the store").isGreaterThan(Duration.ofMillis(60));
      assertThat(backend.calls("stamp")).as("the service was asked once per key").isEqualTo(KEYS);
      assertThat(cached).isEqualTo(2 * KEYS);
      for (int k = 0; k < KEYS; k++) { // every reply's write landed, with its ttl
        String key = store.redisKey(KryoValueCodec.create().id() + ":" + CacheKeys.derive(backend.name, "stamp", List.of("k" + k), Map.of()));
        assertThat(redis.sync().pttl(key)).as("PTTL of %s", key).isGreaterThan(Duration.ofMinutes(4).toMillis());
      }
      proxy.invalidateAll().join();
    } finally {
      direct.shutdown();
    }
  }
}
