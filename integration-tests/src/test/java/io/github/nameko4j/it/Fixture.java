package io.github.nameko4j.it;

import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.testsupport.Queues;
import io.lettuce.core.RedisClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Shared pieces of the end-to-end tests. */
final class Fixture {
  private Fixture() {}

  /** A target that counts calls per method and argument, and can fail or be slow. */
  public static class Counting {
    final String name;
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    volatile boolean failing;
    volatile long delayMillis;

    Counting(String name) {
      this.name = name;
    }

    int calls(String method, Object arg) {
      AtomicInteger n = calls.get(method + ":" + arg);
      return n == null ? 0 : n.get();
    }

    private List<Object> answer(String method, Object arg) throws InterruptedException {
      calls.computeIfAbsent(method + ":" + arg, k -> new AtomicInteger()).incrementAndGet();
      boolean fail = failing;
      long delay = delayMillis;
      if (delay > 0) {
        Thread.sleep(delay);
      }
      if (fail) {
        throw new IllegalStateException(name + " is failing");
      }
      return List.of(name, method, arg);
    }

    @Rpc
    public Object echo(Object x) throws InterruptedException {
      return answer("echo", x);
    }

    @Rpc
    public Object other(Object x) throws InterruptedException {
      return answer("other", x);
    }

    @Rpc
    public Object live(Object x) throws InterruptedException {
      return answer("live", x);
    }
  }

  static void deleteQueues(String amqp, String... services) {
    Queues.deleteServiceQueues(amqp, services);
  }

  static void deleteKeys(String redisUri, String pattern) {
    RedisClient client = RedisClient.create(redisUri);
    try (var c = client.connect()) {
      List<String> keys = c.sync().keys(pattern);
      if (!keys.isEmpty()) {
        c.sync().del(keys.toArray(new String[0]));
      }
    } finally {
      client.shutdown();
    }
  }
}
