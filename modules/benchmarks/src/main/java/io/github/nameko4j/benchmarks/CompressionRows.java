package io.github.nameko4j.benchmarks;

import static io.github.nameko4j.benchmarks.Measure.f1;
import static io.github.nameko4j.benchmarks.Measure.f2;
import static io.github.nameko4j.benchmarks.Measure.log;
import static io.github.nameko4j.benchmarks.Measure.met;
import static io.github.nameko4j.benchmarks.Measure.micros;
import static io.github.nameko4j.benchmarks.Measure.warmUp;

import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.testsupport.Latencies;
import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.SideBySide.Call;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Row 14: compression of large entries in Redis (issue 29). The same reply cached by a store with
 * the default compression (values of 8 KiB or more, LZ4) and by one with {@code noCompression()}:
 * the bytes Redis holds and the hit time, for a 1 MB JSON-like reply and for a small one.
 */
final class CompressionRows {
  private final boolean full;
  private final String amqp;
  private final String redisUri;
  private final String runId;

  CompressionRows(boolean full, String amqp, String redisUri, String runId) {
    this.full = full;
    this.amqp = amqp;
    this.redisUri = redisUri;
    this.runId = runId;
  }

  /** Returns a large reply for a small request, as a catalogue service does. */
  public static class Catalogue {
    private final List<Object> page = jsonLike(1_000_000);

    @Rpc
    public Object page(int number) {
      return page;
    }
  }

  /** About {@code bytes} of records that repeat their field names, as real replies do. */
  static List<Object> jsonLike(int bytes) {
    List<Object> rows = new ArrayList<>();
    for (int i = 0, size = 0; size < bytes; i++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", i);
      row.put("sku", "SKU-" + (100_000 + i));
      row.put("name", "Product number " + i + " of the catalogue");
      row.put("price_cents", 1000 + (i * 37) % 9000);
      row.put("in_stock", i % 3 != 0);
      rows.add(row);
      size += 100;
    }
    return rows;
  }

  List<Row> measure() throws Exception {
    log("14. compression of large entries: compressed vs uncompressed Redis store");
    List<Row> rows = new ArrayList<>();
    String service = "bench_lz4_" + runId;
    String compressedNs = "bench-lz4-" + runId;
    String plainNs = "bench-plain-" + runId;
    RedisClient lettuce = RedisClient.create(redisUri);
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(service, new Catalogue()).start();
        NamekoRpcServer echo = NamekoRpcServer.builder().uri(amqp).service(service + "_echo", new Benchmarks.Echo()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(amqp).build();
        RedisCacheStore compressed = RedisCacheStore.builder(compressedNs).uri(redisUri).build();
        RedisCacheStore plain = RedisCacheStore.builder(plainNs).uri(redisUri).noCompression().build();
        StatefulRedisConnection<String, String> redis = lettuce.connect()) {
      CacheFirstRpcProxy withLz4 = CacheFirstRpcProxy.builder(client).service(service).store(compressed).build();
      CacheFirstRpcProxy without = CacheFirstRpcProxy.builder(client).service(service).store(plain).build();
      List<Object> big = List.of(1);
      withLz4.call("page", big, Map.of());
      without.call("page", big, Map.of());
      Thread.sleep(500); // the writes are done
      long compressedBytes = entryBytes(redis, compressedNs);
      long plainBytes = entryBytes(redis, plainNs);

      Call ours = i -> withLz4.call("page", big, Map.of());
      Call base = i -> without.call("page", big, Map.of());
      warmUp(ours, full ? 8 : 4);
      warmUp(base, full ? 8 : 4);
      Latencies[] latency = Measure.alternateSamples(full ? 20 : 10, ours, base, full ? 40 : 20);
      double p50 = latency[0].percentileMillis(50) / latency[1].percentileMillis(50);
      rows.add(new Row("14a", "1 MB JSON-like reply in Redis: bytes stored, compressed (default) vs noCompression()",
          compressedBytes + " B", plainBytes + " B", f2((double) compressedBytes / plainBytes), "(report)", "-"));
      rows.add(new Row("14a'", "1 MB JSON-like reply, CacheFirstRpcProxy hit over Redis: p50 µs, compressed vs not",
          micros(latency[0], 50), micros(latency[1], 50) + " noCompression()", f2(p50), "(report)", "-"));

      CacheFirstRpcProxy smallLz4 = CacheFirstRpcProxy.builder(client).service(service + "_echo").store(compressed).build();
      CacheFirstRpcProxy smallPlain = CacheFirstRpcProxy.builder(client).service(service + "_echo").store(plain).build();
      List<Object> small = List.of("hello");
      smallLz4.call("echo", small, Map.of());
      smallPlain.call("echo", small, Map.of());
      Call smallOurs = i -> smallLz4.call("echo", small, Map.of());
      Call smallBase = i -> smallPlain.call("echo", small, Map.of());
      warmUp(smallOurs, full ? 8 : 4);
      warmUp(smallBase, full ? 8 : 4);
      Latencies[] smallLatency = Measure.alternateSamples(full ? 30 : 10, smallOurs, smallBase, full ? 1000 : 500);
      double smallP50 = smallLatency[0].percentileMillis(50) / smallLatency[1].percentileMillis(50);
      rows.add(new Row("14b", "small reply, CacheFirstRpcProxy hit over Redis: p50 µs (mean), compression on (default) vs off",
          micros(smallLatency[0], 50) + " (" + f1(smallLatency[0].meanMicros()) + ")",
          micros(smallLatency[1], 50) + " (" + f1(smallLatency[1].meanMicros()) + ") noCompression()",
          f2(smallP50), "≤ 1.05", met(smallP50 <= 1.05)));
      withLz4.invalidateAll().join();
      without.invalidateAll().join();
      for (String ns : List.of(compressedNs, plainNs)) {
        List<String> keys = redis.sync().keys("nameko4j:" + ns + ":*");
        if (!keys.isEmpty()) {
          redis.sync().del(keys.toArray(new String[0]));
        }
      }
    } finally {
      lettuce.shutdown();
      Queues.deleteServiceQueues(amqp, service, service + "_echo");
    }
    return rows;
  }

  /** The size of the one entry a namespace holds (its largest value: the stamps are small). */
  private static long entryBytes(StatefulRedisConnection<String, String> redis, String ns) {
    long largest = 0;
    for (String key : redis.sync().keys("nameko4j:" + ns + ":*")) {
      if ("string".equals(redis.sync().type(key))) {
        largest = Math.max(largest, redis.sync().strlen(key));
      }
    }
    return largest;
  }
}
