package io.github.nameko4j.benchmarks;

import io.github.nameko4j.cachetools.CacheControl;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CacheTags;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.events.CacheInvalidation;
import io.github.nameko4j.events.EventSubscriber;
import io.github.nameko4j.rpc.NamekoRpcClient;
import java.time.Duration;

/**
 * A replica of a shop caching a products service's {@code get_product} in Redis, tagged by
 * product, whose event handler drops the tag when products dispatches {@code product_updated}:
 * the other process of row 12a. Main arguments: AMQP URI, Redis URI, namespace, products service,
 * shop service. Prints {@code ready} once it hears events and knows the stamps; stops when its
 * standard input closes.
 */
final class InvalidationReplica implements AutoCloseable {
  static final String EVENT = "product_updated";

  private final NamekoRpcClient client;
  private final RedisCacheStore store;
  private final CacheFirstRpcProxy products;
  private final EventSubscriber events;

  InvalidationReplica(String amqp, String redis, String namespace, String productsService, String shop) {
    client = NamekoRpcClient.builder().uri(amqp).build();
    store = RedisCacheStore.builder(namespace).uri(redis).build();
    products = proxy(client, store, productsService);
    events = EventSubscriber.builder().uri(amqp).service(shop)
        .invalidate(CacheControl.of(products), productsService, EVENT, CacheInvalidation.tag("product:{id}"))
        .start();
  }

  /** The proxy both replicas build: {@code get_product(id)} cached ten minutes, tagged {@code product:<id>}. */
  static CacheFirstRpcProxy proxy(NamekoRpcClient client, RedisCacheStore store, String productsService) {
    return CacheFirstRpcProxy.builder(client).service(productsService).store(store)
        .policy("get_product", CachePolicy.custom().ttl(Duration.ofMinutes(10)).tags(CacheTags.template("product:{0}")).build())
        .build();
  }

  boolean ready() {
    return events.isConnected() && store.scopeStamps().known();
  }

  @Override
  public void close() {
    events.close();
    store.close();
    client.close();
  }

  public static void main(String[] args) throws Exception {
    try (InvalidationReplica replica = new InvalidationReplica(args[0], args[1], args[2], args[3], args[4])) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!replica.ready() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      System.out.println(replica.ready() ? "ready" : "not ready after 60 s");
      System.out.flush();
      while (System.in.read() >= 0) {
        // serves until the benchmark closes our input
      }
    }
  }
}
