package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.testsupport.TcpProxy;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code close()} wins over a reconnection in progress. A server closed while its new connection
 * was still in the AMQP handshake used to finish the handshake afterwards and consume its queue
 * again: a "closed" service that took every request and bounced it back, with a non-daemon AMQP
 * thread that kept the JVM from exiting. The proxy holds the reconnection mid-handshake.
 */
@ExtendWith(TestServicesExtension.class)
class CloseDuringReconnectIT {

  @Test
  void aServerClosedDuringAReconnectHandshakeNeverConsumesAgainAndLeavesNoThread(TestServices services) throws Exception {
    String service = "zombie_" + UUID.randomUUID().toString().substring(0, 8);
    URI broker = URI.create(services.amqpUri());
    try (TcpProxy proxy = TcpProxy.to(broker.getHost(), broker.getPort()); RawAmqp raw = new RawAmqp(services.amqpUri())) {
      raw.deleteLater("rpc-" + service);
      NamekoRpcServer server = NamekoRpcServer.builder().uri("amqp://guest:guest@127.0.0.1:" + proxy.port())
          .service(service, new EchoService()).start();
      assertThat(consumers(raw, service)).isEqualTo(1);

      proxy.holdNewConnections(true);
      proxy.closeAll(); // the node "dies"; the server reconnects and its handshake hangs in the proxy
      await().atMost(Duration.ofSeconds(20)).until(() -> proxy.heldConnections() > 0);
      server.close();
      proxy.holdNewConnections(false); // the handshake could finish now

      // Nothing of the closed server consumes its queue again...
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> consumers(raw, service) == 0);
      // ...and none of its threads runs: no keeper, no AMQP connection through the proxy.
      assertThat(threads("nameko4j-connect-nameko4j-service-" + service, "AMQP Connection 127.0.0.1:" + proxy.port())).isEmpty();
    }
  }

  @Test
  void aClientClosedDuringAReconnectHandshakeLeavesNoThread(TestServices services) throws Exception {
    URI broker = URI.create(services.amqpUri());
    String caller = "zombie_client_" + UUID.randomUUID().toString().substring(0, 8);
    try (TcpProxy proxy = TcpProxy.to(broker.getHost(), broker.getPort())) {
      NamekoRpcClient client = NamekoRpcClient.builder().uri("amqp://guest:guest@127.0.0.1:" + proxy.port()).callerName(caller).build();
      proxy.holdNewConnections(true);
      proxy.closeAll();
      await().atMost(Duration.ofSeconds(20)).until(() -> proxy.heldConnections() > 0);
      client.close();
      proxy.holdNewConnections(false);
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
          .until(() -> threads("nameko4j-connect-nameko4j-client-" + caller, "AMQP Connection 127.0.0.1:" + proxy.port()).isEmpty());
      assertThat(client.isConnected()).isFalse();
    }
  }

  private static int consumers(RawAmqp raw, String service) throws Exception {
    return raw.channel.queueDeclarePassive("rpc-" + service).getConsumerCount();
  }

  /** Live threads whose names start with any of {@code prefixes}. */
  private static List<String> threads(String... prefixes) {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .filter(n -> List.of(prefixes).stream().anyMatch(n::startsWith)).collect(Collectors.toList());
  }
}
