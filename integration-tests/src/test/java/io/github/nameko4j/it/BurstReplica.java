package io.github.nameko4j.it;

import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One replica of a calling service in a JVM of its own, for {@link CrossProcessStampedeIT}: on
 * each {@code go <key>} line it fires {@code callers} concurrent CacheFirst calls on that key,
 * with the store's defaults and the cross-replica lease, then prints {@code done <sources>}.
 */
public final class BurstReplica {
  private BurstReplica() {}

  public static void main(String[] args) throws Exception {
    String amqp = args[0];
    String redis = args[1];
    String namespace = args[2];
    String service = args[3];
    int callers = Integer.parseInt(args[4]);
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try (NamekoRpcClient client = NamekoRpcClient.builder().uri(amqp).callTimeout(Duration.ofSeconds(20)).build();
        RedisCacheStore store = RedisCacheStore.builder(namespace).uri(redis).build()) {
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(service).store(store)
          .crossReplicaLease(Duration.ofSeconds(10), Duration.ofSeconds(5)).build();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      System.out.println("ready");
      System.out.flush();
      String line;
      while ((line = in.readLine()) != null && line.startsWith("go ")) {
        String key = line.substring(3);
        CountDownLatch gate = new CountDownLatch(1);
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
          CompletableFuture<String> source = new CompletableFuture<>();
          calls.add(source);
          pool.execute(() -> {
            try {
              gate.await();
              source.complete(proxy.callDetailedAsync("echo", List.of(key), Map.of()).join().source().name());
            } catch (Throwable e) {
              source.complete("error:" + e);
            }
          });
        }
        gate.countDown();
        StringBuilder sources = new StringBuilder("done");
        for (CompletableFuture<String> c : calls) {
          sources.append(' ').append(c.join());
        }
        System.out.println(sources);
        System.out.flush();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
