package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Messages at and over the size limits: an error for the one caller, never a dead channel. */
@ExtendWith(TestServicesExtension.class)
class MessageLimitsIT {
  private final String service = "limits_" + UUID.randomUUID().toString().substring(0, 8);
  private String amqp;

  /** Replies of any size from a small request. */
  public static class Big {
    @Rpc
    public String big(int chars) {
      return "x".repeat(chars);
    }

    @Rpc
    public Object echo(Object x) {
      return x;
    }
  }

  @BeforeEach
  void setUp(TestServices services) {
    amqp = services.amqpUri();
  }

  @AfterEach
  void tearDown() {
    Queues.deleteServiceQueues(amqp, service);
  }

  @Test
  void aTwentyMebibyteStringReplyIsRead() {
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(service, new Big()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(amqp).callTimeout(Duration.ofSeconds(60)).build()) {
      int size = 20 * 1024 * 1024 + 7; // past Jackson's default limit of 20 million characters
      Object reply = client.call(service, "big", size);
      assertThat(reply).isInstanceOf(String.class);
      assertThat(((String) reply).length()).isEqualTo(size);
    }
  }

  @Test
  void aReplyOverTheServicesLimitBecomesAnErrorForThatCallerOnly() {
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(service, new Big()).maxMessageSize(64 * 1024).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(amqp).callTimeout(Duration.ofSeconds(20)).build()) {
      assertThatThrownBy(() -> client.call(service, "big", 100_000))
          .isInstanceOfSatisfying(RemoteServiceException.class, e -> {
            assertThat(e.excType()).isEqualTo("ReplyTooLargeError");
            assertThat(e.value()).contains(service + ".big").contains("over the maximum message size of 65536 bytes");
          });
      assertThat(client.call(service, "echo", "next")).isEqualTo("next");
    }
  }

  @Test
  void aRequestOverTheClientsLimitFailsBeforeItIsSent() {
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(service, new Big()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(amqp).maxMessageSize(64 * 1024).callTimeout(Duration.ofSeconds(20)).build()) {
      assertThat(client.callAsync(service, "echo", List.of("x".repeat(100_000)), Map.of()))
          .failsWithin(Duration.ofSeconds(1))
          .withThrowableThat().havingCause().isInstanceOf(CodecException.class)
          .withMessageContaining("over the maximum message size of 65536 bytes");
      assertThat(client.inFlight()).isZero();
      assertThat(client.call(service, "echo", "next")).isEqualTo("next");
    }
  }
}
