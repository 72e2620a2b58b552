package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.github.nameko4j.testsupport.RabbitClusterProcess;
import io.github.nameko4j.testsupport.RabbitNodeProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * A 3-node RabbitMQ cluster owned by the test, on loopback ports. A service's classic queue lived
 * on one node: that node killed, no call succeeded until it was back (25-30 s), and a quorum queue
 * declared by an operator was refused. Every client and service took the first node of the list.
 * The tests that kill and restart nodes run last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BrokerClusterIT {
  private static RabbitClusterProcess cluster;

  @BeforeAll
  static void startCluster() {
    cluster = RabbitClusterProcess.start(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static String service() {
    return "clustered_" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static BrokerSettings quorum() {
    return BrokerSettings.builder().uri(cluster.amqpUri()).queueType(BrokerSettings.QueueType.QUORUM)
        .heartbeat(Duration.ofSeconds(2)).build();
  }

  @Test
  @Order(1)
  void clientsGivenTheSameNodeListSpreadOverTheCluster() throws Exception {
    List<NamekoRpcClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 9; i++) {
        clients.add(NamekoRpcClient.builder().uri(cluster.amqpUri()).callerName("spread_" + i).build());
      }
      // The only connections of the cluster at this point (the test runs first): the nodes' ports they went to.
      Set<String> ports = new HashSet<>();
      for (String line : cluster.node(0).ctl("list_connections", "port").split("\n")) {
        if (line.trim().matches("\\d+")) {
          ports.add(line.trim());
        }
      }
      assertThat(ports).as("the nodes the 9 clients' connections went to").hasSizeGreaterThan(1);
    } finally {
      clients.forEach(NamekoRpcClient::close);
    }
  }

  @Test
  @Order(2)
  void aServiceConsumesAQuorumQueueAnOperatorDeclaredForIt() throws Exception {
    String service = service();
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(cluster.node(1).amqpUri());
    try (Connection c = factory.newConnection(); Channel ch = c.createChannel()) {
      ch.queueDeclare("rpc-" + service, true, false, false, Map.of("x-queue-type", "quorum"));
      try (NamekoRpcServer server = NamekoRpcServer.builder().uri(cluster.amqpUri()).service(service, new EchoService()).start();
          NamekoRpcClient client = NamekoRpcClient.builder().uri(cluster.amqpUri()).build()) {
        assertThat(client.call(service, "echo", "through an operator's queue")).isEqualTo("through an operator's queue");
      } finally {
        ch.queueDelete("rpc-" + service);
      }
    }
  }

  /** Calls made by a few callers, each call's outcome and when it ended. */
  private static final class Load implements AutoCloseable {
    record Outcome(long endedNanos, String how) {}

    final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    final List<String> reasons = new java.util.concurrent.CopyOnWriteArrayList<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    final List<Thread> callers = new ArrayList<>();

    Load(NamekoRpcClient client, String service) {
      for (int c = 0; c < 4; c++) {
        Thread t = new Thread(() -> {
          while (running.get()) {
            String how;
            try {
              client.call(service, "echo", "x");
              how = "ok";
            } catch (NamekoException e) {
              how = e.getClass().getSimpleName();
              if (!reasons.contains(e.getMessage()) && reasons.size() < 20) {
                reasons.add(e.getMessage());
              }
            }
            outcomes.add(new Outcome(System.nanoTime(), how));
            sleep(40); // 4 callers: about 100 calls/s
          }
        }, "cluster-load-" + c);
        t.setDaemon(true);
        t.start();
        callers.add(t);
      }
    }

    List<Outcome> after(long nanos) {
      return outcomes.stream().filter(o -> o.endedNanos() > nanos).toList();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      for (Thread t : callers) {
        t.join(30_000);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The node that leads the quorum queue {@code queue}. */
  private static RabbitNodeProcess leaderOf(String queue) {
    for (String line : cluster.node(0).ctl("list_queues", "name", "leader").split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 2 && f[0].equals(queue)) {
        return cluster.nodes().stream().filter(n -> n.nodeName().equals(f[1])).findFirst()
            .orElseThrow(() -> new AssertionError("leader " + f[1] + " is not a node of the test cluster"));
      }
    }
    throw new AssertionError("no leader for " + queue);
  }

  /**
   * The worst case: the service and its caller both connected to the node that leads the queue
   * (nodes taken in the order given, the first one leads what its clients declare).
   */
  @Test
  @Order(3)
  void aServiceWithQuorumQueuesKeepsAnsweringWhenTheNodeLeadingItsQueueIsKilled() throws Exception {
    String service = service();
    BrokerSettings firstNodeFirst = quorum().toBuilder().nodeOrder(BrokerSettings.NodeOrder.AS_GIVEN).build();
    try (NamekoRpcServer server = NamekoRpcServer.builder().broker(firstNodeFirst).service(service, new EchoService()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().broker(firstNodeFirst).callTimeout(Duration.ofSeconds(15)).build();
        Load load = new Load(client, service)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> load.outcomes.size() > 50);
      RabbitNodeProcess leader = leaderOf("rpc-" + service);
      long killed = System.nanoTime();
      leader.killHard();
      await().atMost(Duration.ofSeconds(30)).until(() -> load.after(killed).stream().anyMatch(o -> o.how().equals("ok")));
      sleep(12_000);
      List<Load.Outcome> afterKill = load.after(killed);
      List<Load.Outcome> failed = afterKill.stream().filter(o -> !o.how().equals("ok")).toList();
      long lastFailure = failed.stream().mapToLong(Load.Outcome::endedNanos).max().orElse(killed);
      System.out.printf("[cluster] queue leader killed: %d of %d calls failed (%s: %s), the last %d ms after the kill%n",
          failed.size(), afterKill.size(), failed.stream().map(Load.Outcome::how).distinct().toList(), load.reasons,
          TimeUnit.NANOSECONDS.toMillis(lastFailure - killed));
      assertThat(afterKill).as("no call hung until its timeout").noneMatch(o -> o.how().equals("RpcTimeoutException"));
      assertThat(lastFailure - killed).as("calls succeed again within a few seconds").isLessThan(TimeUnit.SECONDS.toNanos(8));
      assertThat(load.after(killed + TimeUnit.SECONDS.toNanos(8))).as("calls from 8 s after the kill").isNotEmpty()
          .allMatch(o -> o.how().equals("ok"));
      leader.launch(); // rejoins the cluster
    } finally {
      deleteQueue("rpc-" + service);
    }
  }

  @Test
  @Order(4)
  void aRollingRestartOfEveryNodeUnderLoadLeavesTheServiceAnswering() throws Exception {
    String service = service();
    try (NamekoRpcServer server = NamekoRpcServer.builder().broker(quorum()).service(service, new EchoService()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().broker(quorum()).callTimeout(Duration.ofSeconds(15)).build();
        Load load = new Load(client, service)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> load.outcomes.size() > 20);
      for (RabbitNodeProcess node : cluster.nodes()) {
        node.stop();
        sleep(2000); // the cluster without it, under load
        node.launch();
        long back = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).until(() -> load.after(back).stream().anyMatch(o -> o.how().equals("ok")));
        long settled = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        sleep(5000);
        assertThat(load.after(settled)).as("calls settled after %s restarted", node).isNotEmpty().allMatch(o -> o.how().equals("ok"));
      }
      assertThat(load.outcomes).as("no call hung until its timeout").noneMatch(o -> o.how().equals("RpcTimeoutException"));
    } finally {
      deleteQueue("rpc-" + service);
    }
  }

  private static void deleteQueue(String queue) {
    for (RabbitNodeProcess node : cluster.nodes()) {
      try {
        node.ctl("delete_queue", queue);
        return;
      } catch (RuntimeException e) {
        // this node is down, or the queue is gone: try the next
      }
    }
  }
}
