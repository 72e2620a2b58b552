package io.github.nameko4j.benchmarks;

import static io.github.nameko4j.benchmarks.Measure.f1;
import static io.github.nameko4j.benchmarks.Measure.f2;
import static io.github.nameko4j.benchmarks.Measure.log;
import static io.github.nameko4j.benchmarks.Measure.met;
import static io.github.nameko4j.benchmarks.Measure.micros;
import static io.github.nameko4j.benchmarks.Measure.throughput;
import static io.github.nameko4j.benchmarks.Measure.warmUp;

import io.github.nameko4j.testsupport.Latencies;
import io.github.nameko4j.testsupport.SideBySide.Call;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.cli.Main;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.testsupport.ChildJvm;
import io.github.nameko4j.testsupport.RawEchoClient;
import io.github.nameko4j.testsupport.RawEchoServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Row 0: what users run. The service is the CLI's {@code serve echo} in a JVM of its own, the raw
 * echo's server in another, this JVM is the client, and everything has its default settings: no
 * executor, worker count, timeout or connection option is tuned for the benchmark.
 */
final class AsUsersRunIt {
  private static final String SERVICE = "echo_java"; // what `nameko-cli serve echo` hosts
  private static final Duration START = Duration.ofSeconds(90);

  private final boolean full;
  private final String amqp;
  private final String redisUri;
  private final String runId;
  private final CpuClock cpu;
  private final List<Row> rows = new ArrayList<>();

  AsUsersRunIt(boolean full, String amqp, String redisUri, String runId, CpuClock cpu) {
    this.full = full;
    this.amqp = amqp;
    this.redisUri = redisUri;
    this.runId = runId;
    this.cpu = cpu;
  }

  private int rounds() {
    return full ? 30 : 10;
  }

  List<Row> measure() throws Exception {
    log("0. as users run it: client and service in separate processes, default settings");
    String rawQueue = "bench-raw-" + runId;
    String workers = String.valueOf(NamekoRpcServer.DEFAULT_MAX_WORKERS); // the raw server gets as many as ours
    try (ChildJvm service = ChildJvm.start("nameko-cli serve echo", ChildJvm.mainClass(Main.class, "serve", "echo", "--amqp", amqp),
            "serving " + SERVICE, START);
        ChildJvm rawServer = ChildJvm.start("raw echo server", ChildJvm.mainClass(RawEchoServer.class, amqp, rawQueue, workers,
            "false", "hello"), "ready", START);
        NamekoRpcClient client = NamekoRpcClient.builder().uri(amqp).build();
        RawEchoClient raw = new RawEchoClient(amqp, rawQueue, false)) {
      byte[] request = "{\"args\":[\"hello\"],\"kwargs\":{}}".getBytes(StandardCharsets.UTF_8);
      Call ours = i -> client.call(SERVICE, "echo", "hello");
      Call base = i -> raw.call(request);
      roundTrip(ours, base);
      callsPerSecond(ours, base, service, rawServer);
      redisHit(client);
    }
    largeArgument();
    return rows;
  }

  private void roundTrip(Call ours, Call base) throws Exception {
    // Two JVMs on two busy cores: C2 was still compiling the service's path 20 s into a load of 8
    // callers (a quarter of a core went to the compiler), so each side is warmed under load that
    // long before anything is measured; users' services run for days.
    throughput(ours, 8, full ? 30 : 20);
    throughput(base, 8, full ? 30 : 20);
    Latencies[] latency = Measure.alternateSamples(rounds(), ours, base, full ? 300 : 200);
    double p50 = latency[0].percentileMillis(50) / latency[1].percentileMillis(50);
    double p99 = latency[0].percentileMillis(99) / latency[1].percentileMillis(99);
    rows.add(new Row("0a", "RPC round trip, client and service in separate processes, defaults: p50 µs (mean)",
        micros(latency[0], 50) + " (" + f1(latency[0].meanMicros()) + ")",
        micros(latency[1], 50) + " (" + f1(latency[1].meanMicros()) + ") raw AMQP echo, its server in its own process",
        f2(p50), "≤ 1.10", met(p50 <= 1.10)));
    rows.add(new Row("0a'", "RPC round trip, separate processes: p99 µs", micros(latency[0], 99),
        micros(latency[1], 99) + " raw AMQP echo", f2(p99), "(report)", "-"));
  }

  private void callsPerSecond(Call ours, Call base, ChildJvm service, ChildJvm rawServer) throws Exception {
    for (int callers : new int[] {1, 8, 64}) {
      double seconds = full ? 5 : 2;
      int rounds = full ? 6 : 3;
      double sumOurs = 0;
      double sumRaw = 0;
      long[] cpuOurs = new long[4]; // client JVM, service process, broker, calls
      long[] cpuRaw = new long[4];
      for (int r = 0; r < rounds; r++) {
        sumOurs += measureCpu(() -> throughput(ours, callers, seconds), service, seconds, cpuOurs);
        sumRaw += measureCpu(() -> throughput(base, callers, seconds), rawServer, seconds, cpuRaw);
      }
      double o = sumOurs / rounds;
      double b = sumRaw / rounds;
      String target = callers == 8 ? "≥ 0.9" : callers == 64 ? "≥ 0.95" : "(report)";
      String ok = callers == 8 ? met(o / b >= 0.9) : callers == 64 ? met(o / b >= 0.95) : "-";
      rows.add(new Row("0b", "RPC throughput, separate processes, " + callers + " callers (calls/s)", f1(o),
          f1(b) + " (raw AMQP echo)", f2(o / b), target, ok));
      if (callers == 8 || callers == 64) {
        rows.add(cpuRow(callers, cpuOurs, cpuRaw));
      }
    }
  }

  /** Runs {@code load} and adds the CPU this JVM, the server process and the broker spent to {@code totals}. */
  private double measureCpu(CpuClock.Rate load, ChildJvm server, double seconds, long[] totals) throws Exception {
    long jvm = cpu.jvmNanos();
    long srv = server.cpuNanos();
    long broker = cpu.brokerNanos();
    double rate = load.run();
    totals[0] += cpu.jvmNanos() - jvm;
    totals[1] += server.cpuNanos() - srv;
    totals[2] += cpu.brokerNanos() - broker;
    totals[3] += Math.round(rate * seconds);
    return rate;
  }

  private Row cpuRow(int callers, long[] ours, long[] raw) {
    String what = "CPU per call at " + callers + " callers, separate processes, µs: client + service + broker";
    return new Row("0f", what, split(ours), split(raw) + " (raw AMQP echo)",
        f2((double) (ours[0] + ours[1] + ours[2]) / ours[3] / ((double) (raw[0] + raw[1] + raw[2]) / raw[3])), "(report)", "-");
  }

  private String split(long[] t) {
    double calls = t[3];
    String broker = cpu.seesBroker() ? f1(t[2] / 1e3 / calls) : "?";
    return f1(t[0] / 1e3 / calls) + " + " + f1(t[1] / 1e3 / calls) + " + " + broker + " = "
        + f1((t[0] + t[1] + t[2]) / 1e3 / calls);
  }

  /**
   * A {@code CacheFirstRpcProxy} hit on a {@code RedisCacheStore}, both built with nothing but a
   * namespace and a URI, against a bare Lettuce synchronous GET on a connection with Lettuce's
   * defaults. The reply was cached by a call to the service in its own process.
   */
  private void redisHit(NamekoRpcClient client) throws Exception {
    RedisClient lettuce = RedisClient.create(redisUri);
    try (RedisCacheStore store = RedisCacheStore.builder("bench-" + runId).uri(redisUri).build();
        StatefulRedisConnection<byte[], byte[]> conn = lettuce.connect(ByteArrayCodec.INSTANCE)) {
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(SERVICE).store(store).build();
      proxy.call("echo", "hello");
      Thread.sleep(300); // the reply's write is sent after the answer; the warm-up would repair a miss anyway
      byte[] rawKey = ("bench-raw-" + runId).getBytes(StandardCharsets.UTF_8);
      conn.sync().set(rawKey, new byte[48]); // about the size of the cached entry
      List<Object> args = List.of("hello");
      Call ours = i -> proxy.call("echo", args, Map.of());
      Call base = i -> conn.sync().get(rawKey);
      warmUp(ours, full ? 10 : 4);
      warmUp(base, full ? 10 : 4);
      Latencies[] latency = Measure.alternateSamples(rounds(), ours, base, full ? 1000 : 500);
      double p50 = latency[0].percentileMillis(50) / latency[1].percentileMillis(50);
      rows.add(new Row("0d", "CacheFirstRpcProxy hit, RedisCacheStore, default settings: p50 µs (mean)",
          micros(latency[0], 50) + " (" + f1(latency[0].meanMicros()) + ")",
          micros(latency[1], 50) + " (" + f1(latency[1].meanMicros()) + ") bare Lettuce sync GET, default connection",
          f2(p50), "≤ 1.1", met(p50 <= 1.1)));
      conn.sync().del(rawKey);
    } finally {
      lettuce.shutdown();
    }
  }

  /** A 1 MB string argument echoed by the service in its own process, against the raw echo mirroring the same body. */
  private void largeArgument() throws Exception {
    String rawQueue = "bench-raw-mirror-" + runId;
    String text = "x".repeat(1024 * 1024);
    byte[] request = ("{\"args\":[\"" + text + "\"],\"kwargs\":{}}").getBytes(StandardCharsets.UTF_8);
    try (ChildJvm service = ChildJvm.start("nameko-cli serve echo", ChildJvm.mainClass(Main.class, "serve", "echo", "--amqp", amqp),
            "serving " + SERVICE, START);
        ChildJvm rawServer = ChildJvm.start("raw echo server", ChildJvm.mainClass(RawEchoServer.class, amqp, rawQueue,
            String.valueOf(NamekoRpcServer.DEFAULT_MAX_WORKERS), "false", "mirror"), "ready", START);
        NamekoRpcClient client = NamekoRpcClient.builder().uri(amqp).build();
        RawEchoClient raw = new RawEchoClient(amqp, rawQueue, false)) {
      Call ours = i -> client.call(SERVICE, "echo", text);
      Call base = i -> raw.call(request);
      warmUp(ours, full ? 6 : 3);
      warmUp(base, full ? 6 : 3);
      Latencies[] latency = Measure.alternateSamples(rounds(), ours, base, 10);
      double ratio = latency[0].meanMicros() / latency[1].meanMicros();
      rows.add(new Row("0c", "RPC round trip, separate processes, a 1 MB string argument echoed (mean µs)",
          f1(latency[0].meanMicros()), f1(latency[1].meanMicros()) + " (raw AMQP echo returning the same body)", f2(ratio),
          "(report)", "-"));
    }
  }
}
