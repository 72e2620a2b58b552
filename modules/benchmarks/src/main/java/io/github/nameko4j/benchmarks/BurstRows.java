package io.github.nameko4j.benchmarks;

import static io.github.nameko4j.benchmarks.Measure.f2;
import static io.github.nameko4j.benchmarks.Measure.log;
import static io.github.nameko4j.benchmarks.Measure.met;

import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.InMemoryCacheStore;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.testsupport.BusyCores;
import io.github.nameko4j.testsupport.Queues;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** Row 11: a burst of 1,000 callers on 50 cold keys, default settings, on an idle and on a busy machine. */
final class BurstRows {
  private static final int CALLERS = 1000;
  private static final int KEYS = 50;

  private final String amqp;
  private final String redisUri;
  private final String runId;

  BurstRows(String amqp, String redisUri, String runId) {
    this.amqp = amqp;
    this.redisUri = redisUri;
    this.runId = runId;
  }

  /** Counts its calls. */
  public static class Stamp {
    final AtomicInteger calls = new AtomicInteger();

    @Rpc
    public String stamp(String key) {
      calls.incrementAndGet();
      return key + "@" + System.nanoTime();
    }
  }

  List<Row> measure() throws Exception {
    log("11. burst: 1,000 callers on 50 cold keys");
    List<Row> rows = new ArrayList<>();
    String service = "bench_burst_" + runId;
    Stamp stamp = new Stamp();
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(service, stamp).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(amqp).build();
        RedisCacheStore redis = RedisCacheStore.builder("bench-burst-" + runId).uri(redisUri).build()) {
      for (int busy : new int[] {0, 2}) {
        try (BusyCores cores = BusyCores.start(busy)) {
          int inProcess = burst(client, service, stamp, InMemoryCacheStore.create(), "inproc-" + busy);
          int shared = burst(client, service, stamp, redis, "redis-" + busy);
          double ratio = (double) shared / inProcess;
          rows.add(new Row(busy == 0 ? "11a" : "11b", "service calls for a burst of " + CALLERS + " callers (64 threads) on " + KEYS
              + " cold keys, Redis store, default settings, " + busy + " cores kept busy", String.valueOf(shared),
              inProcess + " (in-process store)", f2(ratio), "≤ 1.1", met(ratio <= 1.1)));
        }
      }
      CacheFirstRpcProxy.builder(client).service(service).store(redis).build().invalidateAll().join();
    } finally {
      Queues.deleteServiceQueues(amqp, service);
    }
    return rows;
  }

  private static int burst(NamekoRpcClient client, String service, Stamp stamp, CacheStore store, String run) throws Exception {
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(service).store(store).build();
    int before = stamp.calls.get();
    ExecutorService callers = Executors.newFixedThreadPool(64);
    try {
      List<Future<Object>> calls = new ArrayList<>();
      for (int i = 0; i < CALLERS; i++) {
        String key = run + "-" + (i % KEYS);
        calls.add(callers.submit(() -> proxy.call("stamp", key)));
      }
      for (Future<Object> call : calls) {
        call.get();
      }
    } finally {
      callers.shutdownNow();
    }
    return stamp.calls.get() - before;
  }
}
