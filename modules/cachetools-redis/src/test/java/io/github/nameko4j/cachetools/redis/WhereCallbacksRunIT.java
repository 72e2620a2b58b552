package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.KryoValueCodec;
import io.github.nameko4j.cachetools.internal.CacheKeys;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A Redis hit is decoded and answered where Redis's answer lands, with no hand-off (a hand-off to
 * the common pool tripled a hit's time); a caller of the async API still never runs its own
 * stages on a Redis I/O thread, where they could stall every Redis command of the JVM.
 */
@ExtendWith(TestServicesExtension.class)
class WhereCallbacksRunIT {

  @Test
  void aSyncHitNeedsNoHandOffAndAnAsyncCallersStagesNeverRunOnARedisThread(TestServices services) {
    String ns = "threads_" + UUID.randomUUID().toString().substring(0, 8);
    AtomicInteger handOffs = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(2, r -> new Thread(r, "test-executor"));
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore store = RedisCacheStore.builder(ns).uri(services.redisUri()).build()) {
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store)
          .executor(task -> {
            handOffs.incrementAndGet();
            pool.execute(task);
          }).build();
      proxy.call("stamp", "k");
      String key = KryoValueCodec.create().id() + ":" + CacheKeys.derive(backend.name, "stamp", List.of("k"), Map.of());
      await().atMost(Duration.ofSeconds(5)).until(() -> store.get(key).join() != null);
      handOffs.set(0);
      for (int i = 0; i < 100; i++) {
        proxy.call("stamp", "k");
      }
      assertThat(backend.calls("stamp")).isEqualTo(1);
      assertThat(handOffs).as("hand-offs for 100 hits").hasValue(0);

      for (int i = 0; i < 20; i++) {
        String thread = proxy.callAsync("stamp", List.of("k"), Map.of()).thenApply(v -> Thread.currentThread().getName()).join();
        assertThat(thread).doesNotStartWith("lettuce");
      }
      proxy.invalidateAll().join();
    } finally {
      pool.shutdownNow();
    }
  }

}
