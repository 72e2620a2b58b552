package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What a new user does first: host a service, call it through a cache in Redis, see the hit. */
class CachedCallTest {

  public static class Greeter {
    @Rpc
    public String hello(String name) {
      return "hello " + name;
    }
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  @Test
  void aCachedCallIsAnsweredByTheServiceThenByRedis() {
    String amqp = env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672");
    String redis = env("REDIS_URI", "redis://127.0.0.1:6379");
    String service = "consumer_" + UUID.randomUUID().toString().substring(0, 8);
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(service, new Greeter()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(amqp).build();
        RedisCacheStore store = RedisCacheStore.builder("consumer").uri(redis).build()) {
      CacheFirstRpcProxy greeter = CacheFirstRpcProxy.builder(client).service(service).store(store).build();
      CachedReply first = greeter.callDetailedAsync("hello", List.of("world"), Map.of()).join();
      assertEquals("hello world", first.value());
      assertEquals(CachedReply.Source.SERVICE, first.source());
      CachedReply second = greeter.callDetailedAsync("hello", List.of("world"), Map.of()).join();
      assertEquals(CachedReply.Source.CACHE, second.source());
      greeter.invalidateAll().join();
    } finally {
      deleteQueue(amqp, "rpc-" + service);
    }
  }

  /** nameko keeps a stopped service's queue for its next replica; a test that invents a name removes it. */
  private static void deleteQueue(String amqp, String queue) {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(amqp);
      try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
        channel.queueDelete(queue);
      }
    } catch (Exception e) {
      System.err.println("could not delete " + queue + ": " + e); // the broker's hygiene, not this test's result
    }
  }
}
