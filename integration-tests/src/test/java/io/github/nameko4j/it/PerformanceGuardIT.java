package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.testsupport.Latencies;
import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.RawEchoClient;
import io.github.nameko4j.testsupport.RawEchoServer;
import io.github.nameko4j.testsupport.SideBySide;
import io.github.nameko4j.testsupport.SideBySide.Call;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A CI guard against performance regressions that a noisy machine cannot fool: two benchmark rows,
 * each measured beside its baseline in the same run (alternating rounds), compared as ratios to the
 * worst run BENCHMARKS.md records for that row. It fails only when a ratio is twice the recorded
 * one in each of five attempts: the executor regression of issue 30 (a Redis hit at 3x a bare
 * GET against a recorded ~1.1x; 6-19x with two common-pool hand-offs) fails it; a loaded machine
 * does not. Why twice, not 1.5 times: the guard runs on CI's JDK (17) in a test JVM with one core
 * busy elsewhere, where these rows, recorded at 1.07-1.14 on Java 25, measured 1.1-1.8.
 */
@ExtendWith(TestServicesExtension.class)
class PerformanceGuardIT {
  private static final double TOLERANCE = 2.0;
  private static final int ATTEMPTS = 5;

  /** The echo service of the round-trip row. */
  public static class Echo {
    @Rpc
    public Object echo(Object x) {
      return x;
    }
  }

  /** The worst (highest) ratio BENCHMARKS.md records for row {@code id} over its runs. */
  static double worstRecorded(String id) throws IOException {
    Path file = Path.of(System.getProperty("user.dir")).resolveSibling("BENCHMARKS.md");
    if (!Files.exists(file)) {
      file = Path.of("BENCHMARKS.md");
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String[] cells = line.split("\\|");
      if (cells.length > 5 && cells[1].trim().equals(id)) {
        double worst = 0;
        Matcher m = Pattern.compile("(?:^|·)\\s*([0-9]+\\.[0-9]+)").matcher(cells[5]);
        while (m.find()) {
          worst = Math.max(worst, Double.parseDouble(m.group(1)));
        }
        assertThat(worst).as("row %s's ratios in %s: '%s'", id, file, cells[5]).isPositive();
        return worst;
      }
    }
    throw new AssertionError("BENCHMARKS.md (" + file + ") has no row " + id);
  }

  /** Up to five attempts at a ratio within the bound; every attempt's ratio in the message. */
  private static void guard(String id, Call ours, Call base, int calls) throws Exception {
    double bound = TOLERANCE * worstRecorded(id);
    // As long as the benchmark warms up (4 s each): the proxy's path has more for C2 to compile
    // than a bare GET, and a cold one measured 1.3-1.5x where a warm one measures 1.1x.
    SideBySide.warmUp(ours, 4);
    SideBySide.warmUp(base, 4);
    List<Double> ratios = new ArrayList<>();
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      double ratio = p50Ratio(ours, base, calls);
      ratios.add(ratio);
      System.out.printf("[guard] row %s: p50 ratio %.2f (bound %.2f = %.1f x the worst recorded)%n", id, ratio, bound, TOLERANCE);
      if (ratio <= bound) {
        return;
      }
    }
    throw new AssertionError("row " + id + ": p50 ratio " + ratios.stream().map(r -> String.format("%.2f", r)).toList()
        + " in " + ATTEMPTS + " attempts, all over " + String.format("%.2f", bound)
        + " (" + TOLERANCE + " x the worst BENCHMARKS.md records): a regression, or rerun the benchmarks if it is intended");
  }

  /**
   * Ten short rounds of each, alternating: a burst of other work on the machine lands on both
   * sides rather than on one (five rounds measured 1.57 once for row 1a on a loaded run).
   */
  private static double p50Ratio(Call ours, Call base, int calls) throws Exception {
    Latencies[] l = SideBySide.alternate(10, ours, base, calls / 10);
    return l[0].percentileMillis(50) / l[1].percentileMillis(50);
  }

  /** Row 0d: a CacheFirstRpcProxy hit on a RedisCacheStore, default settings, against a bare Lettuce GET. */
  @Test
  void aRedisHitWithDefaultSettingsStaysNearABareGet(TestServices services) throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String service = "guard_hit_" + id;
    RedisClient lettuce = RedisClient.create(services.redisUri());
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(service, new Echo()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).build();
        RedisCacheStore store = RedisCacheStore.builder("guard-" + id).uri(services.redisUri()).build();
        StatefulRedisConnection<byte[], byte[]> conn = lettuce.connect(ByteArrayCodec.INSTANCE)) {
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(service).store(store).build();
      List<Object> args = List.of("hello");
      proxy.call("echo", args, Map.of());
      byte[] rawKey = ("guard-raw-" + id).getBytes(StandardCharsets.UTF_8);
      conn.sync().set(rawKey, new byte[48]);
      guard("0d", i -> proxy.call("echo", args, Map.of()), i -> conn.sync().get(rawKey), 1000);
      proxy.invalidateAll().join();
      conn.sync().del(rawKey);
    } finally {
      lettuce.shutdown();
      Queues.deleteServiceQueues(services.amqpUri(), service);
    }
  }

  /** Row 1a: an RPC round trip, client and service in this JVM, against the raw amqp-client echo. */
  @Test
  void anRpcRoundTripStaysNearTheRawEcho(TestServices services) throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String service = "guard_rpc_" + id;
    String rawQueue = "guard-raw-" + id;
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(service, new Echo()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).build();
        RawEchoServer rawServer = new RawEchoServer(services.amqpUri(), rawQueue, 8, false, RawEchoServer.HELLO);
        RawEchoClient rawClient = new RawEchoClient(services.amqpUri(), rawQueue, false)) {
      byte[] request = "{\"args\":[\"hello\"],\"kwargs\":{}}".getBytes(StandardCharsets.UTF_8);
      guard("1a", i -> client.call(service, "echo", "hello"), i -> rawClient.call(request), 1000);
    } finally {
      Queues.deleteServiceQueues(services.amqpUri(), service);
      Queues.delete(services.amqpUri(), rawQueue);
    }
  }
}
