package io.github.nameko4j.it;

import io.github.nameko4j.cachetools.CacheControl;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CacheTags;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.events.CacheInvalidation;
import io.github.nameko4j.events.EventSubscriber;
import io.github.nameko4j.rpc.NamekoRpcClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One replica of a shop that caches a products service's replies in Redis, tagged by product, and
 * drops them when products dispatches {@code product_updated}: run in this JVM by {@link
 * TagsAcrossReplicasIT} and in a JVM of its own ({@link #main}, driven through stdin: {@code
 * product <id>}, {@code reviews <id>}; answers {@code <what> <version> <source>}).
 */
public final class TagReplica implements AutoCloseable {
  private final NamekoRpcClient client;
  private final RedisCacheStore store;
  private final CacheFirstRpcProxy products;
  private final EventSubscriber events;

  TagReplica(String amqp, String redis, String namespace, String productsService, String shop) {
    client = NamekoRpcClient.builder().uri(amqp).build();
    store = RedisCacheStore.builder(namespace).uri(redis).build();
    products = CacheFirstRpcProxy.builder(client).service(productsService).store(store)
        .policy("get_product", CachePolicy.custom().ttl(Duration.ofMinutes(10)).tags(CacheTags.template("product:{0}")).build())
        .policy("list_reviews", CachePolicy.custom().ttl(Duration.ofMinutes(10)).tags(CacheTags.template("product:{product_id}")).build())
        .build();
    events = EventSubscriber.builder().uri(amqp).service(shop)
        .invalidate(CacheControl.of(products), productsService, "product_updated", CacheInvalidation.tag("product:{id}"))
        .start();
  }

  boolean ready() {
    return events.isConnected() && store.scopeStamps().known();
  }

  /** {@code get_product(id)}: its version and where it came from. */
  String product(int id) {
    return answer("product", products.callDetailedAsync("get_product", List.of(id), Map.of()).join());
  }

  /** {@code list_reviews(product_id=id)}. */
  String reviews(int id) {
    return answer("reviews", products.callDetailedAsync("list_reviews", List.of(), Map.of("product_id", id)).join());
  }

  private static String answer(String what, CachedReply reply) {
    return what + " " + ((Map<?, ?>) reply.value()).get("version") + " " + reply.source();
  }

  @Override
  public void close() {
    events.close();
    store.close();
    client.close();
  }

  public static void main(String[] args) throws Exception {
    try (TagReplica replica = new TagReplica(args[0], args[1], args[2], args[3], args[4])) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!replica.ready() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      System.out.println("ready " + replica.ready());
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null) {
        String[] cmd = line.split(" ");
        int id = Integer.parseInt(cmd[1]);
        System.out.println(cmd[0].equals("product") ? replica.product(id) : replica.reviews(id));
      }
    }
    System.exit(0);
  }
}
