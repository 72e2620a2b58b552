package io.github.nameko4j.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.cachetools.CacheControl;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.InMemoryCacheStore;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.TcpProxy;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An invalidation event dispatched while the subscriber is reconnecting is not lost. The handler's
 * queue used to be an exclusive broadcast queue, gone with the connection, so an event sent during
 * a reconnection was dropped and the entry stayed stale until its ttl. The subscriber reaches the
 * broker through a proxy that cuts it off and refuses it for a while.
 */
@ExtendWith(TestServicesExtension.class)
class InvalidationAcrossReconnectsIT {

  /** get_product(id) answers with the product's current version. */
  public static class Products {
    final Map<Integer, Integer> versions = new ConcurrentHashMap<>();

    @Rpc
    public Map<String, Object> getProduct(int id) {
      return Map.of("id", id, "version", versions.getOrDefault(id, 0));
    }
  }

  @Test
  void anEventDispatchedWhileAnInProcessCachesSubscriberReconnectsStillInvalidates(TestServices services) throws Exception {
    eventDuringReconnection(services, InMemoryCacheStore.create());
  }

  @Test
  void anEventDispatchedWhileASharedCachesSubscriberReconnectsStillInvalidates(TestServices services) throws Exception {
    try (RedisCacheStore redis = RedisCacheStore.builder("reconnect_" + UUID.randomUUID().toString().substring(0, 8))
        .uri(services.redisUri()).build()) {
      eventDuringReconnection(services, redis);
    }
  }

  private static void eventDuringReconnection(TestServices services, CacheStore store) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String productsService = "products_" + run;
    Products products = new Products();
    URI broker = URI.create(services.amqpUri());
    try (TcpProxy proxy = TcpProxy.to(broker.getHost(), broker.getPort());
        NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(productsService, products).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).build();
        EventDispatcher dispatcher = EventDispatcher.builder().uri(services.amqpUri()).source(productsService).build()) {
      CacheFirstRpcProxy cache = CacheFirstRpcProxy.builder(client).service(productsService).store(store)
          .defaultPolicy(CachePolicy.custom().ttl(Duration.ofMinutes(10)).build()).build();
      try (EventSubscriber events = EventSubscriber.builder().uri("amqp://guest:guest@127.0.0.1:" + proxy.port()).service("shop_" + run)
          .invalidate(CacheControl.of(cache), productsService, "product_updated", CacheInvalidation.tag("product:{id}"))
          .invalidate(CacheControl.of(cache), productsService, "product_updated",
              CacheInvalidation.entry("get_product", payload -> List.of(((Map<?, ?>) payload).get("id"))))
          .start()) {
        assertThat(version(cache, 42)).isEqualTo(0);

        proxy.refuseNewConnections(true);
        proxy.closeAll(); // the subscriber is cut off, and cannot come back yet
        await().atMost(Duration.ofSeconds(10)).until(() -> !events.isConnected());
        products.versions.put(42, 1);
        dispatcher.dispatch("product_updated", Map.of("id", 42));
        assertThat(version(cache, 42)).as("still cached: nobody has heard the event yet").isEqualTo(0);
        proxy.refuseNewConnections(false);

        await().atMost(Duration.ofSeconds(20)).until(() -> version(cache, 42).equals(1));
      } finally {
        Queues.deleteServiceQueues(services.amqpUri(), productsService);
        Queues.delete(services.amqpUri(), "evt-" + productsService + "-product_updated--shop_" + run + ".invalidate_cache_1",
            "evt-" + productsService + "-product_updated--shop_" + run + ".invalidate_cache_2");
      }
    }
  }

  private static Object version(CacheFirstRpcProxy cache, int id) {
    return ((Map<?, ?>) cache.call("get_product", id)).get("version");
  }
}
