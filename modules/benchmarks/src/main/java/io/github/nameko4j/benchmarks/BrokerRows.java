package io.github.nameko4j.benchmarks;

import static io.github.nameko4j.benchmarks.Measure.f1;
import static io.github.nameko4j.benchmarks.Measure.f2;
import static io.github.nameko4j.benchmarks.Measure.log;
import static io.github.nameko4j.benchmarks.Measure.micros;
import static io.github.nameko4j.benchmarks.Measure.warmUp;

import io.github.nameko4j.rpc.BrokerSettings;
import io.github.nameko4j.rpc.NamekoException;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.testsupport.Latencies;
import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.RabbitClusterProcess;
import io.github.nameko4j.testsupport.RabbitNodeProcess;
import io.github.nameko4j.testsupport.SideBySide.Call;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** Row 13: quorum queues, what they cost on every call and what they save when a node dies. */
final class BrokerRows {
  private final boolean full;
  private final String amqp;
  private final String runId;

  BrokerRows(boolean full, String amqp, String runId) {
    this.full = full;
    this.amqp = amqp;
    this.runId = runId;
  }

  List<Row> measure() throws Exception {
    List<Row> rows = new ArrayList<>();
    rows.add(quorumRoundTrip());
    try (RabbitClusterProcess cluster = RabbitClusterProcess.start(3)) {
      rows.add(nodeKilled(cluster, BrokerSettings.QueueType.CLASSIC));
      rows.add(nodeKilled(cluster, BrokerSettings.QueueType.QUORUM));
    }
    return rows;
  }

  /** The round trip to a service whose queue is a quorum queue, against a classic one, on the same (single) broker. */
  private Row quorumRoundTrip() throws Exception {
    log("13a. round trip, quorum queue / classic queue");
    String classic = "bench_classic_" + runId;
    String quorum = "bench_quorum_" + runId;
    BrokerSettings quorumSettings = BrokerSettings.builder().uri(amqp).queueType(BrokerSettings.QueueType.QUORUM).build();
    try (NamekoRpcServer classicServer = NamekoRpcServer.builder().uri(amqp).service(classic, new Benchmarks.Echo()).start();
        NamekoRpcServer quorumServer = NamekoRpcServer.builder().broker(quorumSettings).service(quorum, new Benchmarks.Echo()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(amqp).build()) {
      Call q = i -> client.call(quorum, "echo", "hello");
      Call c = i -> client.call(classic, "echo", "hello");
      warmUp(q, full ? 10 : 5);
      warmUp(c, full ? 10 : 5);
      Latencies[] l = Measure.alternateSamples(full ? 30 : 10, q, c, full ? 300 : 200);
      double ratio = l[0].percentileMillis(50) / l[1].percentileMillis(50);
      return new Row("13a", "RPC round trip to a service on a quorum queue: p50 µs (mean)", micros(l[0], 50) + " (" + f1(l[0].meanMicros())
          + ")", micros(l[1], 50) + " (" + f1(l[1].meanMicros()) + ") the same service on a classic queue", f2(ratio), "(report)", "-");
    } finally {
      Queues.deleteServiceQueues(amqp, classic, quorum);
    }
  }

  /**
   * A 3-node cluster on loopback; the service and its callers (4, about 100 calls/s) connect to
   * the first node, which holds the classic queue or leads the quorum queue, and that node is
   * SIGKILLed. A classic queue is unusable until its node is back, which is restarted after 10 s.
   */
  private Row nodeKilled(RabbitClusterProcess cluster, BrokerSettings.QueueType type) throws Exception {
    log("13b. the node holding the service's queue killed: " + type);
    String service = "bench_node_" + type.name().toLowerCase() + "_" + runId;
    BrokerSettings settings = BrokerSettings.builder().uri(cluster.amqpUri()).queueType(type)
        .nodeOrder(BrokerSettings.NodeOrder.AS_GIVEN).build();
    RabbitNodeProcess first = cluster.node(0);
    ConcurrentLinkedQueue<long[]> outcomes = new ConcurrentLinkedQueue<>(); // {ended nanos, 1 ok / 0 failed}
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> callers = new ArrayList<>();
    long killed;
    try (NamekoRpcServer server = NamekoRpcServer.builder().broker(settings).service(service, new Benchmarks.Echo()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().broker(settings).callTimeout(Duration.ofSeconds(15)).build()) {
      for (int c = 0; c < 4; c++) {
        Thread t = new Thread(() -> {
          while (running.get()) {
            boolean ok;
            try {
              client.call(service, "echo", "x");
              ok = true;
            } catch (NamekoException e) {
              ok = false;
            }
            outcomes.add(new long[] {System.nanoTime(), ok ? 1 : 0});
            sleepQuietly(40);
          }
        }, "bench-node-load-" + c);
        t.setDaemon(true);
        t.start();
        callers.add(t);
      }
      Thread.sleep(3_000);
      killed = System.nanoTime();
      first.killHard();
      if (type == BrokerSettings.QueueType.CLASSIC) {
        Thread.sleep(10_000);
        first.launch(); // a classic queue comes back with its node only
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (firstOk(outcomes, killed) < 0 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(5_000);
      running.set(false);
      for (Thread t : callers) {
        t.join(30_000);
      }
    } finally {
      if (!first.speaksAmqp()) {
        first.launch();
      }
      Queues.deleteServiceQueues(cluster.node(1).amqpUri(), service);
    }
    long failed = outcomes.stream().filter(o -> o[0] > killed && o[1] == 0).count();
    long firstOk = firstOk(outcomes, killed);
    String back = firstOk < 0 ? "none within 90 s" : f1((firstOk - killed) / 1e6) + " ms";
    return new Row("13b", "node holding the service's queue SIGKILLed under 100 calls/s, " + type.name().toLowerCase()
        + " queue" + (type == BrokerSettings.QueueType.CLASSIC ? " (node restarted after 10 s)" : "")
        + ": failed calls; first successful call after the kill", failed + " failed; " + back, "-", "-", "(report)", "-");
  }

  /** When the first call that ended after {@code killed} succeeded, or -1. */
  private static long firstOk(ConcurrentLinkedQueue<long[]> outcomes, long killed) {
    return outcomes.stream().filter(o -> o[0] > killed && o[1] == 1).mapToLong(o -> o[0]).min().orElse(-1);
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
