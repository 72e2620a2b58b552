package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import io.github.nameko4j.testsupport.LogCapture;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A message the RabbitMQ client cannot read (headers nested deeper than its 32 levels, a body over
 * the limit) used to close the whole connection; unacked, it came back on every reconnect and the
 * service answered nothing until someone purged its queue. Now it is rejected with a WARN naming
 * why, and everything else goes on, on the same connection.
 */
@ExtendWith(TestServicesExtension.class)
class UnreadableMessagesIT {
  private static final byte[] ECHO_X = "{\"args\": [\"x\"], \"kwargs\": {}}".getBytes(StandardCharsets.UTF_8);

  private String service;
  private RawAmqp raw;
  private LogCapture logs;

  @BeforeEach
  void setUp(TestServices services) throws Exception {
    service = "unreadable_" + UUID.randomUUID().toString().substring(0, 8);
    raw = new RawAmqp(services.amqpUri());
    raw.deleteLater("rpc-" + service);
    logs = LogCapture.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    logs.close();
    raw.close();
  }

  /** A list nested {@code depth} levels deep. */
  private static Object nested(int depth) {
    Object value = "bottom";
    for (int i = 0; i < depth; i++) {
      value = List.of(value);
    }
    return value;
  }

  private static AMQP.BasicProperties request(String replyTo, Map<String, Object> headers) {
    return new AMQP.BasicProperties.Builder().contentType("application/json").replyTo(replyTo)
        .correlationId(UUID.randomUUID().toString()).headers(headers).build();
  }

  @Test
  void aRequestWhoseHeadersNestTooDeeplyIsRejectedAndTheServiceKeepsAnsweringOnItsConnection(TestServices services) throws Exception {
    String replyKey = UUID.randomUUID().toString();
    BlockingQueue<RawAmqp.Message> replies = raw.listen(replyKey);
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(service, new EchoService()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).callTimeout(Duration.ofSeconds(10)).build()) {
      raw.publish(service + ".echo", request(replyKey, Map.of("nameko.poison", nested(40))), ECHO_X);
      // A request that is fine, behind the poison on the same queue, is answered.
      raw.publish(service + ".echo", request(replyKey, Map.of("nameko.fine", nested(5))), ECHO_X);
      assertThat(RawAmqp.take(replies, 10).bodyText()).isEqualTo("{\"result\":\"x\",\"error\":null}");
      assertThat(client.call(service, "echo", "still answering")).isEqualTo("still answering");

      await().atMost(Duration.ofSeconds(10)).until(() -> !logs.messages("WARN", "deeper than 32 levels").isEmpty());
      assertThat(logs.messages("WARN", "deeper than 32 levels").get(0))
          .contains("service " + service).contains("rejected").contains(service + ".echo");
      assertThat(raw.channel.queueDeclarePassive("rpc-" + service).getMessageCount()).isZero(); // dropped, not requeued
      assertThat(logs.messages("WARN", "connection lost")).isEmpty();
      assertThat(logs.messages("WARN", "reconnecting")).isEmpty();
      assertThat(replies).isEmpty(); // the poison ran nothing and got no reply
    }
  }

  @Test
  void aReplyWhoseHeadersNestTooDeeplyFailsOnlyItsOwnCall(TestServices services) throws Exception {
    String queue = raw.serviceQueue(service);
    BlockingQueue<RawAmqp.Message> requests = raw.consume(queue, true);
    try (NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).callTimeout(Duration.ofSeconds(10)).build()) {
      var poisoned = client.callAsync(service, "echo", List.of("a"), Map.of());
      RawAmqp.Message first = RawAmqp.take(requests, 10);
      reply(first, Map.of("poison", nested(40)));
      assertThatThrownBy(poisoned::join).hasCauseInstanceOf(TransportException.class)
          .hasMessageContaining("cannot be read").hasMessageContaining("deeper than 32 levels");

      var fine = client.callAsync(service, "echo", List.of("b"), Map.of());
      reply(RawAmqp.take(requests, 10), Map.of());
      assertThat(fine.join()).isEqualTo("ok");
      assertThat(logs.messages("WARN", "connection lost")).isEmpty();
    }
  }

  private void reply(RawAmqp.Message request, Map<String, Object> headers) throws Exception {
    AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().contentType("application/json")
        .correlationId(request.props.getCorrelationId()).headers(headers).build();
    raw.publish(request.props.getReplyTo(), props, "{\"result\": \"ok\", \"error\": null}".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aRequestOverTheMaximumMessageSizeIsRejectedWithoutClosingTheConnection(TestServices services) throws Exception {
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(service, new EchoService())
            .maxMessageSize(1024 * 1024).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).callTimeout(Duration.ofSeconds(10)).build()) {
      byte[] big = ("{\"args\": [\"" + "x".repeat(2 * 1024 * 1024) + "\"], \"kwargs\": {}}").getBytes(StandardCharsets.UTF_8);
      raw.publish(service + ".echo", request("nobody", Map.of()), big);
      await().atMost(Duration.ofSeconds(10)).until(() -> !logs.messages("WARN", "over the limit of 1048576 bytes").isEmpty());
      assertThat(client.call(service, "echo", "still answering")).isEqualTo("still answering");
      assertThat(raw.channel.queueDeclarePassive("rpc-" + service).getMessageCount()).isZero();
      assertThat(logs.messages("WARN", "connection lost")).isEmpty();
    }
  }
}
