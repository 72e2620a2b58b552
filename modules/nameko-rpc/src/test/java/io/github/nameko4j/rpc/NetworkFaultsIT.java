package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.RabbitNodeProcess;
import io.github.nameko4j.testsupport.TcpProxy;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Connections cut on one side, blackholed, or losing their queue: client and server come back by
 * themselves, with no call left waiting on a reply queue that is gone. A loopback {@link TcpProxy}
 * stands between them and the shared broker, which is never stopped.
 */
@ExtendWith(TestServicesExtension.class)
class NetworkFaultsIT {
  private static final Duration RECOVERY = Duration.ofSeconds(45);
  private final String service = "netfault_" + UUID.randomUUID().toString().substring(0, 8);
  private String amqp;
  private URI broker;

  @BeforeEach
  void setUp(TestServices services) {
    amqp = services.amqpUri();
    broker = URI.create(amqp);
  }

  @AfterEach
  void tearDown() {
    Queues.deleteServiceQueues(amqp, service);
  }

  private TcpProxy proxy() {
    return TcpProxy.to(broker.getHost(), broker.getPort() < 0 ? 5672 : broker.getPort());
  }

  private String through(TcpProxy proxy) {
    return "amqp://" + broker.getRawUserInfo() + "@127.0.0.1:" + proxy.port();
  }

  private static boolean answers(NamekoRpcClient client, String service, Object x) {
    try {
      return x.equals(client.callAsync(service, "echo", List.of(x), Map.of(), Duration.ofSeconds(2)).get());
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void clientCutOnItsOwnSideComesBackWithAFreshReplyQueue() throws Exception {
    try (TcpProxy proxy = proxy();
        NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(service, new EchoService()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(through(proxy)).callTimeout(Duration.ofSeconds(20)).build()) {
      assertThat(client.call(service, "echo", "before")).isEqualTo("before");
      CompletableFuture<Object> inFlight = client.callAsync(service, "slow", List.of(3.0, "x"), Map.of());

      // The broker still holds the old connection, and its exclusive reply queue, until it misses
      // two heartbeats: re-declaring that queue would fail with RESOURCE_LOCKED.
      proxy.cutClientSide();

      assertThat(inFlight).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
          .withCauseInstanceOf(TransportException.class); // at once, not the 20 s timeout
      assertThat(client.inFlight()).isZero();
      await().atMost(RECOVERY).pollInterval(Duration.ofMillis(200)).until(() -> answers(client, service, "after"));
      for (int i = 0; i < 20; i++) {
        assertThat(client.call(service, "echo", i)).isEqualTo(i);
      }
      assertThat(client.inFlight()).isZero();
    }
  }

  @Test
  void blackholedClientConnectionIsReplacedAfterMissedHeartbeats() {
    try (TcpProxy proxy = proxy();
        NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(service, new EchoService()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(through(proxy)).heartbeat(Duration.ofSeconds(1))
            .callTimeout(Duration.ofSeconds(5)).build()) {
      assertThat(client.call(service, "echo", "before")).isEqualTo("before");
      proxy.blackholeOpenConnections(); // silent both ways, never closed: only heartbeats tell
      await().atMost(RECOVERY).pollInterval(Duration.ofMillis(200)).until(() -> answers(client, service, "after"));
      assertThat(client.call(service, "add", 2, 3)).isEqualTo(5);
    }
  }

  @Test
  void serviceCutOnItsOwnSideConsumesAgain() {
    try (TcpProxy proxy = proxy();
        NamekoRpcServer server = NamekoRpcServer.builder().uri(through(proxy)).heartbeat(Duration.ofSeconds(2))
            .service(service, new EchoService()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(amqp).callTimeout(Duration.ofSeconds(10)).build()) {
      assertThat(client.call(service, "echo", "before")).isEqualTo("before");
      proxy.cutClientSide();
      // Requests the broker still hands to the old, half-open consumer come back to the new one
      // once the broker gives that connection up.
      await().atMost(RECOVERY).pollInterval(Duration.ofMillis(200)).until(() -> answers(client, service, "after"));
      for (int i = 0; i < 20; i++) {
        assertThat(client.call(service, "echo", i)).isEqualTo(i);
      }
    }
  }

  @Test
  void deletedReplyQueueIsReplacedAndDeletedServiceQueueIsDeclaredAgain() {
    // Its own node: only rabbitmqctl may delete another connection's exclusive queue.
    try (RabbitNodeProcess node = RabbitNodeProcess.start();
        NamekoRpcServer server = NamekoRpcServer.builder().uri(node.amqpUri()).service(service, new EchoService()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(node.amqpUri()).callTimeout(Duration.ofSeconds(5)).build()) {
      assertThat(client.call(service, "echo", "before")).isEqualTo("before");
      String replyQueue = client.core().replyQueue();
      node.ctl("delete_queue", replyQueue); // the broker cancels our consumer
      await().atMost(RECOVERY).until(() -> client.core().replyQueue() != null && !replyQueue.equals(client.core().replyQueue()));
      await().atMost(RECOVERY).pollInterval(Duration.ofMillis(200)).until(() -> answers(client, service, "reply queue back"));

      node.ctl("delete_queue", "rpc-" + service);
      await().atMost(RECOVERY).pollInterval(Duration.ofMillis(200)).until(() -> answers(client, service, "service queue back"));
    }
  }

  @Test
  void clientGivenSeveralNodesConnectsToOneThatAnswersAndMovesOnWhenItDies() {
    try (TcpProxy nodeA = proxy();
        TcpProxy nodeB = proxy();
        NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(service, new EchoService()).start()) {
      nodeA.refuseNewConnections(true); // node A is down when the client starts
      String both = through(nodeA) + ";" + through(nodeB);
      try (NamekoRpcClient client = NamekoRpcClient.builder().uri(both).callTimeout(Duration.ofSeconds(5)).build()) {
        assertThat(client.call(service, "echo", "via B")).isEqualTo("via B");
        assertThat(nodeB.openConnections()).isEqualTo(1);

        nodeA.refuseNewConnections(false);
        nodeB.refuseNewConnections(true);
        nodeB.closeAll(); // node B dies
        await().atMost(RECOVERY).pollInterval(Duration.ofMillis(200)).until(() -> answers(client, service, "via A"));
        assertThat(nodeA.openConnections()).isEqualTo(1);
      }
    }
  }
}
