package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.KryoValueCodec;
import io.github.nameko4j.cachetools.internal.CacheKeys;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.RedisClusterProcess;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A Redis Cluster of 3 masters and 3 replicas, owned by the test, on loopback ports. One master
 * killed under load used to switch the cache off on every slot (one breaker for the whole
 * cluster: 0 % hits on the healthy masters from +0.5 s to +7 s) and its own slots came back only
 * 7-9 s after the kill; the near cache never turned on with a cluster.
 */
@ExtendWith(TestServicesExtension.class)
class RedisClusterFailoverIT {
  private static final int KEYS = 240;
  private static final int CALLERS = 8;
  private static final long PAUSE_MILLIS = 40; // 8 callers: about 200 calls/s

  /** One call under load: when (ms after the load started), which key, and how it was answered. */
  private record Outcome(long at, int key, String how) {}

  @Test
  void killingOneMasterUnderLoadFailsNoCallAndInterruptsNoOtherMastersHits(TestServices services) throws Exception {
    try (RedisClusterProcess cluster = RedisClusterProcess.start(3, 1);
        Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore store = RedisCacheStore.builder("failover").clusterUris(cluster.uris()).build()) {
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store)
          .defaultPolicy(CachePolicy.custom().ttl(Duration.ofMinutes(10)).build()).build();
      int[] owner = new int[KEYS];
      for (int k = 0; k < KEYS; k++) {
        proxy.call("stamp", "k" + k);
        String redisKey = store.redisKey(KryoValueCodec.create().id() + ":" + CacheKeys.derive(backend.name, "stamp", List.of("k" + k), Map.of()));
        owner[k] = cluster.ownerOf(SlotHash.getSlot(redisKey.getBytes(StandardCharsets.UTF_8)));
      }
      int victim = owner[0];
      long victimKeys = Arrays.stream(owner).filter(p -> p == victim).count();
      await().atMost(Duration.ofSeconds(10)).until(() -> replicated(cluster, victim, victimKeys)); // the replica holds them
      int warmCalls = backend.calls("stamp");

      ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger next = new AtomicInteger();
      long start = System.nanoTime();
      ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
      for (int c = 0; c < CALLERS; c++) {
        callers.execute(() -> {
          while (running.get()) {
            int k = Math.floorMod(next.getAndIncrement(), KEYS);
            String how;
            try {
              how = proxy.callDetailedAsync("stamp", List.of("k" + k), Map.of()).get(30, TimeUnit.SECONDS).source().name();
            } catch (Exception e) {
              how = "FAILED " + e;
            }
            outcomes.add(new Outcome(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), k, how));
            sleep(PAUSE_MILLIS);
          }
        });
      }
      sleep(2000);
      long killedAt = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      cluster.node(victim).kill();
      int victimSlot = SlotHash.getSlot(firstKeyOf(store, backend, owner, victim));
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
          .ignoreException(IllegalStateException.class) // no master serves it, between the failure and the promotion
          .until(() -> cluster.ownerOf(victimSlot) != victim);
      long promotedAt = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      sleep(5000);
      running.set(false);
      callers.shutdown();
      assertThat(callers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

      List<Outcome> all = new ArrayList<>(outcomes);
      assertThat(all).as("calls under load").hasSizeGreaterThan(1000);
      assertThat(all).filteredOn(o -> o.how().startsWith("FAILED")).as("failed calls").isEmpty();
      // Hits on the healthy masters go on. Not every single one: on a loaded machine a read can
      // outlast its budget and that caller is answered by the service (slow is not down), and once
      // in six CI runs ~20 calls in 80 ms missed around the topology refresh after the promotion.
      // The defect this guards against lost every hit of every master for 6.5 s (about half the
      // calls of this test); 5 % allows the first two and catches that.
      List<Outcome> healthy = all.stream().filter(o -> owner[o.key()] != victim).toList();
      List<Outcome> healthyMisses = healthy.stream().filter(o -> !o.how().equals("CACHE")).toList();
      assertThat(healthyMisses.size()).as("calls for keys of the healthy masters not answered from the cache: %s", healthyMisses)
          .isLessThanOrEqualTo(healthy.size() / 20);
      List<Outcome> victimsAfter = all.stream().filter(o -> owner[o.key()] == victim && o.at() > promotedAt + 3000).toList();
      assertThat(victimsAfter).as("calls for the dead master's keys from 3 s after its replica's promotion").isNotEmpty();
      assertThat(victimsAfter.stream().filter(o -> !o.how().equals("CACHE")).count())
          .as("of those, not answered from the cache: %s", victimsAfter).isLessThanOrEqualTo(victimsAfter.size() / 20);
      await().atMost(Duration.ofSeconds(10)).until(() -> store.state() == RedisCacheStore.State.UP);
      int extra = backend.calls("stamp") - warmCalls;
      System.out.printf("cluster failover: killed at +%d ms, promoted at +%d ms; %d calls, %d extra service calls"
          + " (the dead master held %d of %d keys); healthy masters' calls not from the cache: %d of %d%n", killedAt, promotedAt,
          all.size(), extra, victimKeys, KEYS, healthyMisses.size(), healthy.size());
    }
  }

  private static String firstKeyOf(RedisCacheStore store, Backend backend, int[] owner, int port) {
    for (int k = 0; k < owner.length; k++) {
      if (owner[k] == port) {
        return store.redisKey(KryoValueCodec.create().id() + ":" + CacheKeys.derive(backend.name, "stamp", List.of("k" + k), Map.of()));
      }
    }
    throw new IllegalStateException("no key on " + port);
  }

  /** True once the victim's replica holds as many keys as the victim. */
  private static boolean replicated(RedisClusterProcess cluster, int master, long keys) {
    String id = cluster.node(master).cli("CLUSTER", "MYID");
    for (var node : cluster.nodes()) {
      String info = node.cli("CLUSTER", "NODES");
      for (String line : info.split("\n")) {
        if (line.contains("myself") && line.contains("slave " + id)) {
          return Long.parseLong(node.cli("DBSIZE")) >= keys;
        }
      }
    }
    return false;
  }

  @Test
  void theNearCacheWorksOnAClusterAndHearsOverwrites() {
    try (RedisClusterProcess cluster = RedisClusterProcess.start(3, 0);
        RedisCacheStore a = RedisCacheStore.builder("near").clusterUris(cluster.uris()).nearCache(1000, Duration.ofMinutes(5)).build();
        RedisCacheStore b = RedisCacheStore.builder("near").clusterUris(cluster.uris()).nearCache(1000, Duration.ofMinutes(5)).build()) {
      byte[] v1 = "v1".getBytes(StandardCharsets.UTF_8);
      byte[] v2 = "v2".getBytes(StandardCharsets.UTF_8);
      a.put("k", v1, null).join();
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        b.get("k").join();
        return b.nearCacheSize() == 1; // subscribed once the topology was known, and filled
      });
      a.put("k", v2, null).join();
      await().atMost(Duration.ofSeconds(2)).until(() -> Arrays.equals(b.get("k").join(), v2));
      assertThat(b.nearCacheSize()).isLessThanOrEqualTo(1);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
