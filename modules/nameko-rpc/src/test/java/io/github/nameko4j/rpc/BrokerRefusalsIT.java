package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import io.github.nameko4j.testsupport.LogCapture;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * When the broker refuses to set a service up (here: its queue is held exclusively by another
 * connection, as "NOT_FOUND - home node ... is down" refuses it on a cluster), the operator reads
 * the broker's own words: at start, as a refusal rather than "cannot connect"; while
 * reconnecting, at WARN for as long as it lasts (it used to be logged at DEBUG only).
 */
@ExtendWith(TestServicesExtension.class)
class BrokerRefusalsIT {

  @Test
  void aServiceWhoseQueueTheBrokerRefusesFailsToStartWithTheBrokersReason(TestServices services) throws Exception {
    String service = "refused_" + UUID.randomUUID().toString().substring(0, 8);
    try (RawAmqp holder = new RawAmqp(services.amqpUri())) {
      holder.channel.queueDeclare("rpc-" + service, false, true, true, null);
      assertThatThrownBy(() -> NamekoRpcServer.builder().uri(services.amqpUri()).service(service, new EchoService()).start())
          .isInstanceOf(TransportException.class)
          .hasMessageContaining("refused to set up nameko4j-service-" + service)
          .hasMessageContaining("RESOURCE_LOCKED")
          .hasMessageNotContaining("cannot connect");
    }
  }

  @Test
  void aReconnectionTheBrokerRefusesIsReportedAtWarnUntilItSucceeds(TestServices services) throws Exception {
    String service = "refused_" + UUID.randomUUID().toString().substring(0, 8);
    try (LogCapture logs = LogCapture.start();
        RawAmqp raw = new RawAmqp(services.amqpUri());
        NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(service, new EchoService()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).callTimeout(Duration.ofSeconds(10)).build()) {
      raw.deleteLater("rpc-" + service);
      try (RawAmqp holder = new RawAmqp(services.amqpUri())) {
        takeTheQueueExclusively(holder, service);
        await().atMost(Duration.ofSeconds(20)).until(() -> !logs.messages("WARN", "RESOURCE_LOCKED").isEmpty());
        assertThat(logs.messages("WARN", "RESOURCE_LOCKED").get(0))
            .contains("cannot reconnect").contains("refused to set up nameko4j-service-" + service);
      } // the holder's connection closes: its exclusive queue is gone
      await().atMost(Duration.ofSeconds(30)).until(server::isConnected);
      assertThat(client.call(service, "echo", "back")).isEqualTo("back");
      assertThat(logs.messages("INFO", "failed attempts")).isNotEmpty();
    }
  }

  /** Deletes the service's queue and declares it exclusive on the holder's connection before the service re-declares it. */
  private static void takeTheQueueExclusively(RawAmqp holder, String service) throws Exception {
    for (int attempt = 0; attempt < 20; attempt++) {
      Channel ch = holder.newChannel();
      try {
        ch.queueDelete("rpc-" + service);
        ch.queueDeclare("rpc-" + service, false, true, true, null);
        return;
      } catch (IOException e) {
        // the service declared it again first: try again
      }
    }
    throw new AssertionError("could not take rpc-" + service + " away from the service");
  }
}
