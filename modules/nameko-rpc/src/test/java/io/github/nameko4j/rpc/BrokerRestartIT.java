package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.testsupport.Rabbitmqctl;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
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
 * {@code rabbitmqctl stop_app} / {@code start_app} mid-run: calls in flight fail with a transport
 * error instead of hanging, and client and server carry on afterwards without a restart.
 * Stops the shared broker, so the app is always started again in {@code finally}.
 */
@ExtendWith(TestServicesExtension.class)
class BrokerRestartIT {

  @Test
  void clientAndServerSurviveABrokerRestart(TestServices services) throws Exception {
    Rabbitmqctl.assumeLocalBroker(services.amqpUri());
    String service = "restart_" + UUID.randomUUID().toString().substring(0, 8);
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(service, new EchoService()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).callTimeout(Duration.ofSeconds(20)).build()) {
      assertThat(client.call(service, "echo", "before")).isEqualTo("before");
      CompletableFuture<Object> inFlight = client.callAsync(service, "slow", List.of(5.0, "x"), Map.of());
      Thread.sleep(300); // the slow call is now running in the server
      long start = System.nanoTime();
      try {
        Rabbitmqctl.run("stop_app");
        Throwable error = null;
        try {
          inFlight.get(15, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          error = e.getCause();
        }
        assertThat(error).isInstanceOf(TransportException.class).hasMessageContaining("lost while the call was in flight");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        CompletableFuture<Object> whileDown = client.callAsync(service, "echo", List.of(1), Map.of());
        assertThat(whileDown).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(ExecutionException.class)
            .withCauseInstanceOf(TransportException.class);
      } finally {
        Rabbitmqctl.run("start_app");
      }
      // Both reconnect by themselves (recovery interval 1 s); the service queue and binding come back.
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
          .until(() -> "after".equals(client.callAsync(service, "echo", List.of("after"), Map.of(), Duration.ofSeconds(2)).get()));
      assertThat(client.call(service, "add", 2, 3)).isEqualTo(5);
    } finally {
      try (RawAmqp raw = new RawAmqp(services.amqpUri())) {
        raw.deleteLater("rpc-" + service);
      }
    }
  }
}
