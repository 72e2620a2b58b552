package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.InMemoryCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.BusyCores;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Slow is not down. A burst of 1,000 callers (64 threads) over 50 cold keys, with both cores kept
 * busy by other work, used to make the Redis store switch itself off: reads that missed their 20
 * ms budget because this JVM was busy counted as Redis failures, the breaker opened, writes were
 * skipped and every flight asked the service again (450-544 calls instead of 50). The in-process
 * store, in the same run, is the control.
 */
@ExtendWith(TestServicesExtension.class)
class BurstOnABusyMachineIT {
  private static final int CALLERS = 1000;
  private static final int KEYS = 50;

  @Test
  void aBurstOnFiftyColdKeysAsksTheServiceAboutOncePerKeyWithDefaultSettings(TestServices services) throws Exception {
    String ns = "burst_" + UUID.randomUUID().toString().substring(0, 8);
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore redis = RedisCacheStore.builder(ns).uri(services.redisUri()).build();
        BusyCores busy = BusyCores.start(2)) {
      int inProcess = burst(backend, client, InMemoryCacheStore.create(), "inproc");
      int shared = burst(backend, client, redis, "redis");
      assertThat(inProcess).as("service calls with the in-process store").isEqualTo(KEYS);
      assertThat(shared).as("service calls with the Redis store (store: failures %d, skipped %d, circuit %s)",
          redis.failures(), redis.skipped(), redis.circuitState()).isLessThanOrEqualTo(KEYS * 11 / 10);
      assertThat(redis.circuitState()).isEqualTo(RedisCacheStore.CircuitState.CLOSED);
      CacheFirstRpcProxy.builder(client).service(backend.name).store(redis).build().invalidateAll().join();
    }
  }

  /** 1,000 calls from 64 threads over 50 keys no one asked before; the service calls they caused. */
  private static int burst(Backend backend, NamekoRpcClient client, CacheStore store, String run) throws Exception {
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build();
    int before = backend.calls("stamp");
    ExecutorService callers = Executors.newFixedThreadPool(64);
    try {
      List<Future<Object>> calls = new ArrayList<>();
      for (int i = 0; i < CALLERS; i++) {
        String key = run + "-" + (i % KEYS);
        calls.add(callers.submit(() -> proxy.call("stamp", key)));
      }
      for (Future<Object> call : calls) {
        call.get();
      }
    } finally {
      callers.shutdownNow();
    }
    return backend.calls("stamp") - before;
  }
}
