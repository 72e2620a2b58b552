package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.RedisServerProcess;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A test-owned redis-server killed and restarted mid-run: no call fails because of it. */
@ExtendWith(TestServicesExtension.class)
class RedisOutageIT {

  @Test
  void callsKeepAnsweringFromTheServiceWhileRedisIsDownAndUseTheCacheAgainAfter(TestServices services) {
    try (RedisServerProcess redis = RedisServerProcess.start();
        Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore store = RedisCacheStore.builder("outage").uri(redis.uri())
            .commandTimeout(Duration.ofMillis(50)).openCircuitDuration(Duration.ofMillis(500)).build()) {
      CachedRpcProxy cached = CachedRpcProxy.builder(client).service(backend.name).store(store).build();
      CacheFirstRpcProxy cacheFirst = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build();
      cacheFirst.call("echo", "warm");
      await().atMost(Duration.ofSeconds(2)).until(() -> redis.cli("DBSIZE").equals("1"));

      redis.kill();
      long worstNanos = 0;
      int answered = 0;
      for (int i = 0; i < 60; i++) {
        long start = System.nanoTime();
        assertThat(cached.call("echo", "during-" + i)).isEqualTo("during-" + i);
        assertThat(cacheFirst.call("echo", "warm")).isEqualTo("warm");
        worstNanos = Math.max(worstNanos, System.nanoTime() - start);
        answered += 2;
      }
      assertThat(answered).isEqualTo(120);
      assertThat(store.failures()).isPositive();
      assertThat(store.circuitState()).isIn(RedisCacheStore.CircuitState.OPEN, RedisCacheStore.CircuitState.HALF_OPEN);
      assertThat(store.skipped()).isPositive(); // the open circuit stopped asking the dead Redis
      // Two calls each waiting at most the 50 ms store timeout, plus the RPC itself.
      assertThat(Duration.ofNanos(worstNanos)).isLessThan(Duration.ofSeconds(2));

      redis.restart(); // empty, as after a crash
      int before = backend.calls("echo");
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        cacheFirst.call("echo", "after");
        int afterFirst = backend.calls("echo");
        cacheFirst.call("echo", "after");
        assertThat(backend.calls("echo")).isEqualTo(afterFirst); // the second one was a hit in Redis
      });
      assertThat(backend.calls("echo")).isGreaterThan(before);
      // The breaker may still be half-open with probes left: it closes once enough of them succeed.
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
        assertThat(cacheFirst.call("echo", "after")).isEqualTo("after");
        assertThat(store.circuitState()).isEqualTo(RedisCacheStore.CircuitState.CLOSED);
      });
    }
  }
}
