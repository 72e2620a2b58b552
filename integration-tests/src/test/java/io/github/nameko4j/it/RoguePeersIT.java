package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.rpc.RpcTimeoutException;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A fake "service" that misbehaves on the wire. Our client fails the one call with a clear error,
 * drops what matches no call, and keeps serving everyone else. (Rogue callers, without reply_to,
 * with huge bodies or wrong content types, are ServerRobustnessIT in nameko-rpc.)
 */
@ExtendWith(TestServicesExtension.class)
class RoguePeersIT {

  /** Replies to each request as {@code behaviour} says, by method name. */
  private static void rogue(Channel ch, String queue) throws Exception {
    ch.basicConsume(queue, true, new DefaultConsumer(ch) {
      @Override
      public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) throws IOException {
        String method = env.getRoutingKey().substring(env.getRoutingKey().indexOf('.') + 1);
        String corr = props.getCorrelationId();
        switch (method) {
          case "invalid_json" -> reply(props.getReplyTo(), corr, "{\"result\": [1, 2");
          case "wrong_correlation" -> reply(props.getReplyTo(), UUID.randomUUID().toString(), "{\"result\": 1, \"error\": null}");
          case "partial_error" -> reply(props.getReplyTo(), corr, "{\"result\": null, \"error\": {\"value\": \"only a value\"}}");
          case "twice" -> {
            reply(props.getReplyTo(), corr, "{\"result\": \"first\", \"error\": null}");
            reply(props.getReplyTo(), corr, "{\"result\": \"second\", \"error\": null}");
          }
          default -> reply(props.getReplyTo(), corr, "{\"result\": \"ok\", \"error\": null}");
        }
      }

      private void reply(String to, String corr, String body) throws IOException {
        ch.basicPublish("nameko-rpc", to, false,
            new AMQP.BasicProperties.Builder().contentType("application/json").correlationId(corr).build(),
            body.getBytes(StandardCharsets.UTF_8));
      }
    });
  }

  private static Throwable failureOf(CompletableFuture<Object> call) throws Exception {
    try {
      Object value = call.get(10, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + value);
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  @Test
  void badRepliesFailOnlyTheirOwnCallAndTheClientGoesOn(TestServices services) throws Exception {
    String rogue = "rogue_" + UUID.randomUUID().toString().substring(0, 8);
    String honest = "honest_" + UUID.randomUUID().toString().substring(0, 8);
    ConnectionFactory f = new ConnectionFactory();
    f.setUri(services.amqpUri());
    Fixture.Counting honestTarget = new Fixture.Counting(honest);
    try (Connection c = f.newConnection(); Channel ch = c.createChannel();
        NamekoRpcServer honestServer = NamekoRpcServer.builder().uri(services.amqpUri()).service(honest, honestTarget).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).callTimeout(Duration.ofSeconds(5)).build()) {
      ch.exchangeDeclare("nameko-rpc", "topic", true, false, null);
      ch.queueDeclare("rpc-" + rogue, true, false, false, null);
      ch.queueBind("rpc-" + rogue, "nameko-rpc", rogue + ".*");
      rogue(ch, "rpc-" + rogue);

      CompletableFuture<Object> background = client.callAsync(honest, "echo", List.of("meanwhile"), Map.of());

      assertThat(failureOf(client.callAsync(rogue, "invalid_json", List.of(), Map.of())))
          .isInstanceOf(CodecException.class).hasMessageContaining("unreadable reply from " + rogue + ".invalid_json");

      assertThat(failureOf(client.callAsync(rogue, "wrong_correlation", List.of(), Map.of(), Duration.ofMillis(700))))
          .isInstanceOf(RpcTimeoutException.class); // the stray reply was dropped, not given to anyone

      assertThat(failureOf(client.callAsync(rogue, "partial_error", List.of(), Map.of())))
          .isInstanceOfSatisfying(RemoteServiceException.class, e -> {
            assertThat(e.excType()).isEqualTo("UnknownError");
            assertThat(e.value()).isEqualTo("only a value");
            assertThat(e.excArgs()).isEmpty();
          });

      assertThat(client.call(rogue, "twice")).isEqualTo("first");
      assertThat(client.call(rogue, "fine")).isEqualTo("ok"); // the duplicate went to nobody

      assertThat(background.get(10, TimeUnit.SECONDS)).isEqualTo(List.of(honest, "echo", "meanwhile"));
      assertThat(client.call(honest, "echo", "after")).isEqualTo(List.of(honest, "echo", "after"));
      assertThat(client.inFlight()).isZero();
      ch.queueDelete("rpc-" + rogue);
    } finally {
      Fixture.deleteQueues(services.amqpUri(), honest);
    }
  }
}
