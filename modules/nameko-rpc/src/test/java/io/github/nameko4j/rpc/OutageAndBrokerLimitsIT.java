package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.testsupport.RabbitNodeProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On a RabbitMQ node of the test's own, with a 1 MiB {@code max_message_size}: what happens when
 * the broker refuses a message, when it stops, and with passwords full of URI characters.
 */
class OutageAndBrokerLimitsIT {
  private static final int BROKER_LIMIT = 1024 * 1024;
  private static RabbitNodeProcess node;

  /** Counts how often {@code big} ran. */
  public static class Big {
    final AtomicInteger bigCalls = new AtomicInteger();

    @Rpc
    public String big(int chars) {
      bigCalls.incrementAndGet();
      return "x".repeat(chars);
    }

    @Rpc
    public Object echo(Object x) {
      return x;
    }

    @Rpc
    public Object slow(double seconds, Object x) throws InterruptedException {
      Thread.sleep((long) (seconds * 1000));
      return x;
    }
  }

  @BeforeAll
  static void startNode() {
    node = RabbitNodeProcess.start("max_message_size = " + BROKER_LIMIT);
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  private static String newService() {
    return "outage_" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void aRequestTheBrokerRefusesFailsThatCallAndTheClientGoesOn() {
    String service = newService();
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(node.amqpUri()).service(service, new Big()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(node.amqpUri()).callTimeout(Duration.ofSeconds(10)).build()) {
      // Our limit (128 MiB by default) is above the broker's: the broker closes the channel.
      assertThat(client.callAsync(service, "echo", List.of("x".repeat(2 * BROKER_LIMIT)), Map.of()))
          .failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
          .withCauseInstanceOf(TransportException.class).withMessageContaining("PRECONDITION_FAILED");
      for (int i = 0; i < 10; i++) {
        assertThat(client.call(service, "echo", i)).isEqualTo(i);
      }
      assertThat(client.inFlight()).isZero();
    }
  }

  @Test
  void aReplyTheBrokerRefusesIsNotRedeliveredAndTheServiceGoesOn() throws Exception {
    String service = newService();
    Big big = new Big();
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(node.amqpUri()).service(service, big).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(node.amqpUri()).callTimeout(Duration.ofSeconds(10)).build()) {
      assertThat(client.callAsync(service, "big", List.of(2 * BROKER_LIMIT), Map.of(), Duration.ofSeconds(3)))
          .failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
          .withCauseInstanceOf(RpcTimeoutException.class);
      for (int i = 0; i < 10; i++) {
        assertThat(client.call(service, "echo", i)).isEqualTo(i);
      }
      // acked, not requeued to fail again forever: it ran once
      assertThat(client.call(service, "echo", "later")).isEqualTo("later");
      assertThat(big.bigCalls).hasValue(1);
    }
  }

  @Test
  void callsFailedDuringAnOutageLeaveNoPerCallState() throws Exception {
    String service = newService();
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(node.amqpUri()).service(service, new Big()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(node.amqpUri()).callTimeout(Duration.ofSeconds(30)).build()) {
      assertThat(client.call(service, "echo", "before")).isEqualTo("before");
      List<CompletableFuture<Object>> inFlight = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        inFlight.add(client.callAsync(service, "slow", List.of(20.0, i), Map.of()));
      }
      try {
        node.stopApp();
        await().atMost(Duration.ofSeconds(30)).until(() -> !client.isConnected());
        for (CompletableFuture<Object> f : inFlight) {
          assertThat(f).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
              .withCauseInstanceOf(TransportException.class);
        }
        int failed = 0;
        for (int i = 0; i < 100_000; i++) {
          if (client.callAsync(service, "echo", List.of(i), Map.of()).isCompletedExceptionally()) {
            failed++;
          }
        }
        assertThat(failed).isEqualTo(100_000); // at once: nobody waits for a broker that is gone
        assertThat(client.inFlight()).isZero();
        assertThat(client.core().unpublished()).isZero();
      } finally {
        node.startApp();
      }
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> "after".equals(client.callAsync(service, "echo", List.of("after"), Map.of(), Duration.ofSeconds(2)).get()));
      assertThat(client.inFlight()).isZero();
      await().atMost(Duration.ofSeconds(10)).until(() -> client.core().unpublished() == 0);
    }
  }

  @Test
  void whileTheBrokerBlocksPublishingNoCallerWaitsAndCallsTimeOutThenCarryOn() throws Exception {
    String service = newService();
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(node.amqpUri()).service(service, new Big()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(node.amqpUri()).callTimeout(Duration.ofSeconds(2)).build()) {
      assertThat(client.call(service, "echo", "before")).isEqualTo("before");
      // A memory alarm: the broker sends connection.blocked and stops reading from publishers.
      node.ctl("set_vm_memory_high_watermark", "0.000001");
      try {
        List<CompletableFuture<Object>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          long start = System.nanoTime();
          calls.add(client.callAsync(service, "echo", List.of(i), Map.of()));
          // Submitting never waits for the socket, inline or not.
          assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        }
        for (CompletableFuture<Object> call : calls) {
          assertThat(call).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
              .withCauseInstanceOf(RpcTimeoutException.class);
        }
      } finally {
        node.ctl("set_vm_memory_high_watermark", "0.4");
      }
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> "after".equals(client.callAsync(service, "echo", List.of("after"), Map.of(), Duration.ofSeconds(2)).get()));
    }
  }

  @Test
  void passwordsWithUriCharactersConnectWhenPercentEncoded() {
    String password = "p@ss#w/rd?;:%x";
    String user = "u" + UUID.randomUUID().toString().substring(0, 6);
    node.ctl("add_user", user, password);
    node.ctl("set_permissions", "-p", "/", user, ".*", ".*", ".*");
    String encoded = "p%40ss%23w%2Frd%3F%3B%3A%25x";
    String uri = "amqp://" + user + ":" + encoded + "@127.0.0.1:" + node.port();
    try (NamekoRpcClient client = NamekoRpcClient.builder().uri(uri).build()) {
      assertThat(client.isConnected()).isTrue();
      assertThat(client.toString()).doesNotContain(encoded).contains(user + ":***@");
    }
  }
}
