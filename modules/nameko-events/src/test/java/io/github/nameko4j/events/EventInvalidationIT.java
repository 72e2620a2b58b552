package io.github.nameko4j.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.cachetools.CacheControl;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.KryoValueCodec;
import io.github.nameko4j.cachetools.internal.CacheKeys;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.testsupport.Queues;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's example, end to end: the products service dispatches {@code product_updated}, and
 * every replica's cached {@code get_product} for that id is gone at once (Redis shared, near
 * caches on), while other entries stay. Measures the time from dispatch to the entry being gone
 * on both replicas.
 */
@ExtendWith(TestServicesExtension.class)
class EventInvalidationIT {
  private static final int ROUNDS = 20;

  /** A products service: get_product(id) answers with the product's current version. */
  public static class Products {
    final Map<Integer, Integer> versions = new ConcurrentHashMap<>();
    final AtomicInteger calls = new AtomicInteger();
    private final EventDispatcher events;

    Products(EventDispatcher events) {
      this.events = events;
    }

    @Rpc
    public Map<String, Object> getProduct(int id) {
      calls.incrementAndGet();
      return Map.of("id", id, "version", versions.getOrDefault(id, 0));
    }

    @Rpc
    public void updateProduct(int id) {
      versions.merge(id, 1, Integer::sum);
      events.dispatch("product_updated", Map.of("id", id));
    }
  }

  /** One replica of a service that calls products through a cache. */
  private static final class Replica implements AutoCloseable {
    final NamekoRpcClient client;
    final RedisCacheStore store;
    final CacheFirstRpcProxy products;
    final EventSubscriber events;

    Replica(String amqp, String redis, String namespace, String productsService) {
      client = NamekoRpcClient.builder().uri(amqp).build();
      store = RedisCacheStore.builder(namespace).uri(redis).commandTimeout(Duration.ofMillis(500))
          .nearCache(1000, Duration.ofMinutes(5)).build();
      products = CacheFirstRpcProxy.builder(client).service(productsService).store(store)
          .defaultPolicy(CachePolicy.custom().ttl(Duration.ofMinutes(10)).build()).build();
      events = EventSubscriber.builder().uri(amqp).service("shop")
          .invalidate(CacheControl.of(products), productsService, "product_updated",
              CacheInvalidation.entry("get_product", payload -> List.of(((Map<?, ?>) payload).get("id"))))
          .start();
    }

    Object version(int id) {
      return ((Map<?, ?>) products.call("get_product", id)).get("version");
    }

    @Override
    public void close() {
      events.close();
      store.close();
      client.close();
    }
  }

  @Test
  void anEventFromTheOwningServiceDropsTheEntryFromEveryReplicaAndItsNearCache(TestServices services) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String productsService = "products_" + run;
    String namespace = "evinv_" + run;
    RedisClient redisClient = RedisClient.create(services.redisUri());
    try (StatefulRedisConnection<String, String> redis = redisClient.connect();
        EventDispatcher dispatcher = EventDispatcher.builder().uri(services.amqpUri()).source(productsService).build()) {
      Products products = new Products(dispatcher);
      try (NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(productsService, products).start();
          Replica a = new Replica(services.amqpUri(), services.redisUri(), namespace, productsService);
          Replica b = new Replica(services.amqpUri(), services.redisUri(), namespace, productsService);
          NamekoRpcClient admin = NamekoRpcClient.builder().uri(services.amqpUri()).build()) {
        String key = KryoValueCodec.create().id() + ":" + CacheKeys.derive(productsService, "get_product", List.of(42), Map.of());
        String redisKey = a.store.redisKey(key);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.events.isConnected() && b.events.isConnected());

        // The service itself announces the change: the next read on either replica sees it.
        assertThat(a.version(42)).isEqualTo(0);
        assertThat(b.version(42)).isEqualTo(0);
        assertThat(a.version(7)).isEqualTo(0);
        admin.call(productsService, "update_product", 42);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.version(42).equals(1) && b.version(42).equals(1));
        int callsBefore = products.calls.get();
        assertThat(a.version(7)).isEqualTo(0); // another id's entry stayed
        assertThat(products.calls.get()).isEqualTo(callsBefore);

        // From here on each near cache holds the one entry measured.
        a.products.invalidate("get_product", List.of(7), Map.of()).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> a.store.nearCacheSize() <= 1 && b.store.nearCacheSize() <= 1);

        List<Double> millis = new ArrayList<>();
        List<Double> confirms = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
          fillNearCaches(a, b, redis, redisKey);
          products.versions.merge(42, 1, Integer::sum); // changed behind the caches' back...
          long start = System.nanoTime();
          dispatcher.dispatch("product_updated", Map.of("id", 42)); // ...until its owner says so
          confirms.add((System.nanoTime() - start) / 1e6);
          while (a.store.nearCacheSize() > 0 || b.store.nearCacheSize() > 0 || redis.sync().exists(redisKey) > 0) {
            if (System.nanoTime() - start > Duration.ofSeconds(10).toNanos()) {
              throw new AssertionError("entry still cached 10 s after the event: near a=" + a.store.nearCacheSize()
                  + ", near b=" + b.store.nearCacheSize() + ", redis=" + redis.sync().exists(redisKey));
            }
            Thread.onSpinWait();
          }
          millis.add((System.nanoTime() - start) / 1e6);
          int expected = products.versions.get(42);
          assertThat(a.version(42)).isEqualTo(expected);
          assertThat(b.version(42)).isEqualTo(expected);
        }
        Collections.sort(millis);
        Collections.sort(confirms);
        // Reported, not asserted: absolute times on a shared machine are noise.
        System.out.printf("[dispatch-to-invalidation] %d rounds, 2 replicas sharing Redis with near caches: median %.1f ms, p90 %.1f ms,"
            + " max %.1f ms from dispatch() to the entry gone from Redis and both near caches (dispatch() itself, until the"
            + " broker's confirm: median %.1f ms)%n", ROUNDS, millis.get(ROUNDS / 2), millis.get(ROUNDS * 9 / 10),
            millis.get(ROUNDS - 1), confirms.get(ROUNDS / 2));
      }
    } finally {
      redisClient.shutdown();
      Queues.deleteServiceQueues(services.amqpUri(), productsService);
      Queues.delete(services.amqpUri(), "evt-" + productsService + "-product_updated--shop.invalidate_cache_1");
    }
  }

  /** Both replicas read the entry, from Redis into their near caches. */
  private static void fillNearCaches(Replica a, Replica b, StatefulRedisConnection<String, String> redis, String redisKey) {
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      a.version(42);
      b.version(42);
      return a.store.nearCacheSize() == 1 && b.store.nearCacheSize() == 1 && redis.sync().exists(redisKey) == 1;
    });
  }
}
