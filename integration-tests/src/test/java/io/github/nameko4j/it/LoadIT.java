package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 16 threads x 2,000 calls over 200 arguments, two methods and two services, through two replicas
 * sharing Redis: every reply matches its own call, and CacheFirst asked the service at most once
 * per key within the ttl.
 */
@ExtendWith(TestServicesExtension.class)
class LoadIT {
  static final int THREADS = 16;
  static final int CALLS = 2_000;
  static final int KEYS = 200;

  /** One replica: its own RPC client, its own Lettuce client. */
  record Replica(NamekoRpcClient rpc, RedisCacheStore store, CacheFirstRpcProxy a, CacheFirstRpcProxy b, CachedRpcProxy live) {}

  @Test
  void everyReplyMatchesItsCallAndCacheFirstAsksOncePerKey(TestServices services) throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String amqp = services.amqpUri();
    Fixture.Counting targetA = new Fixture.Counting("load_a_" + id);
    Fixture.Counting targetB = new Fixture.Counting("load_b_" + id);
    CachePolicy tenMinutes = CachePolicy.custom().ttl(Duration.ofMinutes(10)).build();
    List<AutoCloseable> closeMe = new ArrayList<>();
    try {
      closeMe.add(NamekoRpcServer.builder().uri(amqp).service(targetA.name, targetA).maxWorkers(16).start());
      closeMe.add(NamekoRpcServer.builder().uri(amqp).service(targetB.name, targetB).maxWorkers(16).start());
      List<Replica> replicas = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        NamekoRpcClient rpc = NamekoRpcClient.builder().uri(amqp).callTimeout(Duration.ofSeconds(20)).build();
        RedisCacheStore store = RedisCacheStore.builder("load_" + id).uri(services.redisUri()).commandTimeout(Duration.ofSeconds(1)).build();
        closeMe.add(0, rpc);
        closeMe.add(0, store);
        replicas.add(new Replica(rpc, store,
            CacheFirstRpcProxy.builder(rpc).service(targetA.name).store(store).defaultPolicy(tenMinutes)
                .crossReplicaLease(Duration.ofSeconds(10), Duration.ofSeconds(5)).build(),
            CacheFirstRpcProxy.builder(rpc).service(targetB.name).store(store).defaultPolicy(tenMinutes)
                .crossReplicaLease(Duration.ofSeconds(10), Duration.ofSeconds(5)).build(),
            CachedRpcProxy.builder(rpc).service(targetA.name).store(store).build()));
      }
      AtomicLong fromCacheFirst = new AtomicLong();
      AtomicLong live = new AtomicLong();
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      List<Future<?>> futures = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < THREADS; t++) {
        Replica replica = replicas.get(t % 2);
        futures.add(pool.submit(() -> {
          ThreadLocalRandom random = ThreadLocalRandom.current();
          for (int i = 0; i < CALLS; i++) {
            int key = random.nextInt(KEYS);
            int pick = random.nextInt(20);
            Object reply;
            List<Object> expected;
            if (pick == 0) { // 5%: CachedRpcProxy, which always asks the service
              reply = replica.live().call("live", key);
              expected = List.of(targetA.name, "live", key);
              live.incrementAndGet();
            } else if (pick < 10) {
              String method = pick % 2 == 0 ? "echo" : "other";
              reply = replica.a().call(method, key);
              expected = List.of(targetA.name, method, key);
              fromCacheFirst.incrementAndGet();
            } else {
              reply = replica.b().call("echo", key);
              expected = List.of(targetB.name, "echo", key);
              fromCacheFirst.incrementAndGet();
            }
            if (!expected.equals(reply)) {
              throw new AssertionError("call " + expected + " got " + reply);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      pool.shutdown();
      long millis = (System.nanoTime() - start) / 1_000_000;
      int serviceCallsForCacheFirst = 0;
      for (int key = 0; key < KEYS; key++) {
        for (String method : List.of("echo", "other")) {
          assertThat(targetA.calls(method, key)).as("%s.%s(%d)", targetA.name, method, key).isLessThanOrEqualTo(1);
          serviceCallsForCacheFirst += targetA.calls(method, key);
        }
        assertThat(targetB.calls("echo", key)).as("%s.echo(%d)", targetB.name, key).isLessThanOrEqualTo(1);
        serviceCallsForCacheFirst += targetB.calls("echo", key);
      }
      assertThat(fromCacheFirst.get() + live.get()).isEqualTo((long) THREADS * CALLS);
      System.out.printf("[LoadIT] %d calls in %d ms: %d through CacheFirst (service asked %d times for 600 keys), %d through CachedRpcProxy%n",
          THREADS * CALLS, millis, fromCacheFirst.get(), serviceCallsForCacheFirst, live.get());
    } finally {
      for (AutoCloseable c : closeMe) {
        c.close();
      }
      Fixture.deleteQueues(amqp, targetA.name, targetB.name);
      Fixture.deleteKeys(services.redisUri(), "nameko4j:load_" + id + ":*");
    }
  }
}
