package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.ConnectionFactory;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.rpc.RpcContext;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Replicas of a calling service ({@code shop}), each with its own RPC client and its own Lettuce
 * client, sharing one Redis, in front of a target ({@code inventory}) that can hang or stop.
 */
@ExtendWith(TestServicesExtension.class)
class ReplicasEndToEndIT {
  static final Duration FAILOVER = Duration.ofMillis(300);
  final String id = UUID.randomUUID().toString().substring(0, 8);
  final String inventoryName = "inventory_" + id;
  final String shopName = "shop_" + id;
  final String namespace = "shop_" + id;
  final Inventory inventory = new Inventory();
  final List<AutoCloseable> closeMe = new ArrayList<>();
  String amqp;
  String redis;
  NamekoRpcServer inventoryServer;
  NamekoRpcClient driver;

  /** The target. */
  public static class Inventory {
    final AtomicInteger calls = new AtomicInteger();
    volatile CountDownLatch hang; // non-null: requests block until it opens

    @Rpc
    public Object stock(String item) throws InterruptedException {
      return answer("stock of " + item);
    }

    @Rpc
    public Object price(String item) throws InterruptedException {
      return answer("price of " + item);
    }

    private Object answer(String what) throws InterruptedException {
      int n = calls.incrementAndGet();
      CountDownLatch h = hang;
      if (h != null) {
        h.await(30, TimeUnit.SECONDS);
      }
      return what + " #" + n;
    }
  }

  /** One replica of the calling service. */
  public static class Shop {
    final String replica;
    final CachedRpcProxy stock;
    final CacheFirstRpcProxy price;

    Shop(String replica, NamekoRpcClient rpc, RedisCacheStore store, String inventoryName) {
      this.replica = replica;
      this.stock = CachedRpcProxy.builder(rpc).service(inventoryName).store(store)
          .defaultPolicy(CachePolicy.custom().failoverTimeout(FAILOVER).build()).build();
      this.price = CacheFirstRpcProxy.builder(rpc).service(inventoryName).store(store)
          .policy("price", CachePolicy.custom().ttl(Duration.ofSeconds(20)).build()).build();
    }

    @Rpc
    public Map<String, Object> stock(String item) {
      return describe(stock.callDetailedAsync("stock", List.of(item), Map.of()).join());
    }

    @Rpc
    public Map<String, Object> price(String item) {
      return describe(price.callDetailedAsync("price", List.of(item), Map.of()).join());
    }

    private Map<String, Object> describe(CachedReply reply) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("replica", replica);
      out.put("source", reply.source().name());
      out.put("value", reply.value());
      out.put("because", reply.fallbackCause().map(c -> c.getClass().getSimpleName()).orElse(null));
      return out;
    }
  }

  @BeforeEach
  void start(TestServices services) {
    amqp = services.amqpUri();
    redis = services.redisUri();
    inventoryServer = NamekoRpcServer.builder().uri(amqp).service(inventoryName, inventory).start();
    driver = NamekoRpcClient.builder().uri(amqp).callTimeout(Duration.ofSeconds(15)).build();
  }

  @AfterEach
  void stop() throws Exception {
    CountDownLatch h = inventory.hang;
    if (h != null) {
      h.countDown();
    }
    for (AutoCloseable c : closeMe) {
      c.close();
    }
    inventoryServer.close();
    driver.close();
    RedisClient client = RedisClient.create(redis);
    try (var c = client.connect()) {
      List<String> keys = c.sync().keys("nameko4j:" + namespace + ":*");
      if (!keys.isEmpty()) {
        c.sync().del(keys.toArray(new String[0]));
      }
    } finally {
      client.shutdown();
    }
    deleteQueues();
  }

  private void deleteQueues() throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setUri(amqp);
    try (var c = f.newConnection(); var ch = c.createChannel()) {
      ch.queueDelete("rpc-" + inventoryName);
      ch.queueDelete("rpc-" + shopName);
    }
  }

  /** Starts a replica: its own RPC client, its own Lettuce client, the shared Redis. */
  private NamekoRpcServer replica(String name) {
    NamekoRpcClient rpc = NamekoRpcClient.builder().uri(amqp).callerName(shopName).callTimeout(Duration.ofSeconds(2)).build();
    RedisCacheStore store = RedisCacheStore.builder(namespace).uri(redis).commandTimeout(Duration.ofMillis(500)).build();
    NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(shopName, new Shop(name, rpc, store, inventoryName)).start();
    closeMe.add(0, rpc);
    closeMe.add(0, store);
    closeMe.add(0, server);
    return server;
  }

  private Map<?, ?> call(String method, String item) {
    return (Map<?, ?>) driver.call(shopName, method, item);
  }

  @Test
  void aReplicaStartedLaterFailsOverToWhatAnotherReplicaCached() {
    NamekoRpcServer a = replica("A");
    Map<?, ?> first = call("stock", "apple");
    assertThat(first.get("replica")).isEqualTo("A");
    assertThat(first.get("source")).isEqualTo("SERVICE");
    a.close();
    replica("B");
    inventory.hang = new CountDownLatch(1);
    long start = System.nanoTime();
    Map<?, ?> fromB = call("stock", "apple");
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(fromB.get("replica")).isEqualTo("B");
    assertThat(fromB.get("source")).isEqualTo("CACHE");
    assertThat(fromB.get("value")).isEqualTo(first.get("value"));
    assertThat(millis).isBetween(FAILOVER.toMillis() - 20, 1500L);
  }

  @Test
  void cacheFirstAcrossReplicasTheSecondNeverCallsTheService() {
    NamekoRpcServer a = replica("A");
    Map<?, ?> first = call("price", "pear");
    int calls = inventory.calls.get();
    a.close();
    replica("B");
    for (int i = 0; i < 3; i++) {
      Map<?, ?> again = call("price", "pear");
      assertThat(again.get("replica")).isEqualTo("B");
      assertThat(again.get("source")).isEqualTo("CACHE");
      assertThat(again.get("value")).isEqualTo(first.get("value"));
    }
    assertThat(inventory.calls.get()).isEqualTo(calls);
  }

  @Test
  void perMethodTtlIsObservedInRedis() {
    replica("A");
    call("price", "plum");
    call("stock", "plum");
    RedisClient client = RedisClient.create(redis);
    try (var c = client.connect()) {
      await().atMost(Duration.ofSeconds(2)).until(() -> c.sync().keys("nameko4j:" + namespace + ":*").size() == 2);
      for (String key : c.sync().keys("nameko4j:" + namespace + ":*")) {
        long pttl = c.sync().pttl(key);
        if (key.contains(":price:")) {
          assertThat(pttl).as(key).isBetween(18_000L, 20_000L);
        } else { // no ttl: the store's maximum lifetime, 24 h by default
          assertThat(pttl).as(key).isBetween(Duration.ofHours(23).toMillis(), Duration.ofHours(24).toMillis());
        }
      }
    } finally {
      client.shutdown();
    }
  }

  @Test
  void whenTheTargetStopsCachedArgumentsAreAnsweredAndNewOnesTimeOut() {
    replica("A");
    replica("B");
    for (int i = 0; i < 4; i++) {
      call("stock", "kiwi"); // both replicas share what either cached
    }
    inventoryServer.close();
    for (int i = 0; i < 2; i++) {
      Map<?, ?> reply = call("stock", "kiwi");
      assertThat(reply.get("source")).isEqualTo("CACHE");
      // the failover timer answered (a JDK TimeoutException), not the call's own RpcTimeoutException
      assertThat(reply.get("because")).isEqualTo("TimeoutException");
    }
    long start = System.nanoTime();
    try {
      call("stock", "never-seen");
      throw new AssertionError("expected an error");
    } catch (RemoteServiceException e) {
      assertThat(e.excType()).isEqualTo("RpcTimeoutException");
    }
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(1900L, 10_000L); // waited for the call timeout
    // started again: used again
    inventoryServer = NamekoRpcServer.builder().uri(amqp).service(inventoryName, inventory).start();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(call("stock", "kiwi").get("source")).isEqualTo("SERVICE"));
  }

  /** s1.hop → s2.hop → s3.stack, each a Java service: the stack grows one entry per hop, as nameko's. */
  public static class Hop {
    final NamekoRpcClient rpc;
    final String next;

    Hop(NamekoRpcClient rpc, String next) {
      this.rpc = rpc;
      this.next = next;
    }

    @Rpc
    public Object hop() {
      return next == null ? RpcContext.current().orElseThrow().callIdStack() : rpc.call(next, "hop");
    }
  }

  @Test
  void aJavaServiceCallingAJavaServiceCallingAThirdGrowsTheCallIdStack() throws Exception {
    String s1 = "hop1_" + id;
    String s2 = "hop2_" + id;
    String s3 = "hop3_" + id;
    try (NamekoRpcClient rpc = NamekoRpcClient.builder().uri(amqp).build();
        NamekoRpcServer h3 = NamekoRpcServer.builder().uri(amqp).service(s3, new Hop(rpc, null)).start();
        NamekoRpcServer h2 = NamekoRpcServer.builder().uri(amqp).service(s2, new Hop(rpc, s3)).start();
        NamekoRpcServer h1 = NamekoRpcServer.builder().uri(amqp).service(s1, new Hop(rpc, s2)).start()) {
      List<?> stack = (List<?>) driver.call(s1, "hop");
      assertThat(stack).hasSize(4);
      assertThat(stack.get(0).toString()).startsWith("standalone_rpc_proxy.call.");
      assertThat(stack.get(1).toString()).startsWith(s1 + ".hop.");
      assertThat(stack.get(2).toString()).startsWith(s2 + ".hop.");
      assertThat(stack.get(3).toString()).startsWith(s3 + ".hop.");
    } finally {
      ConnectionFactory f = new ConnectionFactory();
      f.setUri(amqp);
      try (var c = f.newConnection(); var ch = c.createChannel()) {
        for (String s : List.of(s1, s2, s3)) {
          ch.queueDelete("rpc-" + s);
        }
      }
    }
  }
}
