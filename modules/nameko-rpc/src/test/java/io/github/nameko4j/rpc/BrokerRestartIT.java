package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.testsupport.RabbitNodeProcess;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The test's own RabbitMQ node ({@link RabbitNodeProcess}, on free loopback ports) has its app
 * stopped and started mid-run: calls in flight fail with a transport error instead of hanging, and
 * client and server carry on afterwards without a restart. The shared broker is never touched.
 */
class BrokerRestartIT {

  @Test
  void clientAndServerSurviveABrokerRestart() throws Exception {
    String service = "restart_" + UUID.randomUUID().toString().substring(0, 8);
    try (RabbitNodeProcess broker = RabbitNodeProcess.start();
        NamekoRpcServer server = NamekoRpcServer.builder().uri(broker.amqpUri()).service(service, new EchoService()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(broker.amqpUri()).callTimeout(Duration.ofSeconds(90)).build()) {
      assertThat(client.call(service, "echo", "before")).isEqualTo("before");
      // Far longer than stopping the broker can take, even on a loaded machine.
      CompletableFuture<Object> inFlight = client.callAsync(service, "slow", List.of(60.0, "x"), Map.of());
      try {
        broker.stopApp();
        Throwable error = null;
        try {
          inFlight.get(50, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          error = e.getCause();
        }
        // A transport error, not the 90 s RpcTimeoutException: the call did not hang.
        assertThat(error).isInstanceOf(TransportException.class).hasMessageContaining("lost while the call was in flight");
        CompletableFuture<Object> whileDown = client.callAsync(service, "echo", List.of(1), Map.of());
        assertThat(whileDown).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(ExecutionException.class)
            .withCauseInstanceOf(TransportException.class);
      } finally {
        broker.startApp();
      }
      // Both reconnect by themselves (recovery interval 1 s); the service queue and binding come back.
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
          .until(() -> "after".equals(client.callAsync(service, "echo", List.of("after"), Map.of(), Duration.ofSeconds(2)).get()));
      assertThat(client.call(service, "add", 2, 3)).isEqualTo(5);
    }
  }
}
