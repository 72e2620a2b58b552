package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestServicesExtension.class)
class RpcRoundTripIT {
  private static final String SERVICE = "echo_rt_" + UUID.randomUUID().toString().substring(0, 8);
  private static NamekoRpcServer server;
  private static NamekoRpcClient client;

  @RpcService("placeholder")
  interface Echo {
    Object echo(Object x);

    long add(long a, long b);

    @RpcMethod("add")
    CompletableFuture<String> concat(@Kwarg("a") String a, @Kwarg("b") String b);

    Object boom(String message);

    default String twice(String s) {
      return echo(s) + "" + echo(s);
    }
  }

  @BeforeAll
  static void start(TestServices services) {
    server = NamekoRpcServer.builder().uri(services.amqpUri()).service(SERVICE, new EchoService()).maxWorkers(16).start();
    client = NamekoRpcClient.builder().uri(services.amqpUri()).callTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
    Queues.deleteServiceQueues(TestServices.get().amqpUri(), SERVICE);
  }

  @Test
  void callsWithPositionalAndKeywordArguments() {
    assertThat(client.call(SERVICE, "add", 1, 2)).isEqualTo(3);
    assertThat(client.call(SERVICE, "add", List.of(), Map.of("a", "foo", "b", "bar"))).isEqualTo("foobar");
    assertThat(client.service(SERVICE).call("echo", Map.of("k", List.of(1, "v")))).isEqualTo(Map.of("k", List.of(1, "v")));
  }

  @Test
  void callsAsynchronously() throws Exception {
    CompletableFuture<Object> f = client.callAsync(SERVICE, "add", List.of(20, 22), Map.of());
    assertThat(f.get()).isEqualTo(42);
  }

  @Test
  void typedProxiesMapNamesConvertResultsAndRunDefaultMethods() throws Exception {
    Echo echo = client.proxy(Echo.class, SERVICE);
    assertThat(echo.add(2, 3)).isEqualTo(5L);
    assertThat(echo.concat("a", "b").get()).isEqualTo("ab");
    assertThat(echo.twice("x")).isEqualTo("xx");
    assertThat(echo.toString()).contains(SERVICE);
  }

  @Test
  void remoteErrorsCarryNamekosFields() {
    assertThatThrownBy(() -> client.call(SERVICE, "boom", "kaboom"))
        .isInstanceOfSatisfying(RemoteServiceException.class, e -> {
          assertThat(e.excType()).isEqualTo("ValueError");
          assertThat(e.excPath()).isEqualTo(EchoService.ValueError.class.getName());
          assertThat(e.excArgs()).containsExactly("kaboom");
          assertThat(e.value()).isEqualTo("kaboom");
          assertThat(e).hasMessage("ValueError kaboom");
        });
  }

  @Test
  void namekosOwnErrorsHaveTheirOwnTypes() {
    assertThatThrownBy(() -> client.call(SERVICE, "no_such_method", 1))
        .isInstanceOfSatisfying(MethodNotFoundException.class, e -> {
          assertThat(e.excPath()).isEqualTo("nameko.exceptions.MethodNotFound");
          assertThat(e.value()).isEqualTo("no_such_method");
        });
    assertThatThrownBy(() -> client.call(SERVICE, "add", 1))
        .isInstanceOfSatisfying(IncorrectSignatureException.class,
            e -> assertThat(e.value()).isEqualTo("add() missing 1 required positional argument: 'b'"));
  }

  @Test
  void unknownServiceFailsFastWithoutWaitingForTheTimeout() {
    long start = System.nanoTime();
    assertThatThrownBy(() -> client.call("no_such_service_" + UUID.randomUUID().toString().substring(0, 8), "echo", 1))
        .isInstanceOf(UnknownServiceException.class)
        .hasMessageStartingWith("Unknown service `no_such_service_");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void perCallTimeoutRaisesATimeoutError() {
    CompletableFuture<Object> f = client.callAsync(SERVICE, "slow", List.of(2.0, "late"), Map.of(), Duration.ofMillis(300));
    assertThatThrownBy(f::join).hasCauseInstanceOf(RpcTimeoutException.class).hasMessageContaining("within 300 ms");
  }

  @Test
  void badInputIsRefusedWithATypedErrorAndTheClientStaysUsable() {
    assertThatThrownBy(() -> client.call(" ", "echo", 1)).isInstanceOf(IllegalArgumentException.class).hasMessage("service must not be blank");
    assertThatThrownBy(() -> client.call(SERVICE, null, 1)).isInstanceOf(IllegalArgumentException.class).hasMessage("method must not be null");
    assertThatThrownBy(() -> client.callAsync(SERVICE, "echo", List.of(1), Map.of(), Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout must be positive");
    assertThatThrownBy(() -> client.call(SERVICE, "echo", new Object()))
        .isInstanceOf(CodecException.class).hasMessageContaining(SERVICE + ".echo").hasMessageContaining("argument 0");
    assertThat(client.call(SERVICE, "echo", "still fine")).isEqualTo("still fine");
    assertThat(client.inFlight()).isZero();
  }

  @Test
  void thousandCallsFromSixteenThreadsEachGetTheirOwnReply() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<List<String>>> results = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          List<String> mismatches = new ArrayList<>();
          for (int i = 0; i < 63; i++) {
            String sent = thread + ":" + i;
            Object got = client.call(SERVICE, "echo", sent);
            if (!sent.equals(got)) {
              mismatches.add(sent + "->" + got);
            }
          }
          return mismatches;
        }));
      }
      int calls = 0;
      for (Future<List<String>> r : results) {
        assertThat(r.get()).isEmpty();
        calls += 63;
      }
      assertThat(calls).isEqualTo(1008);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void passwordsNeverAppearInToStringOrErrors() {
    assertThat(client.toString()).doesNotContain("guest:guest").contains("***");
    assertThatThrownBy(() -> NamekoRpcClient.builder().uri("amqp://user:s3cret@127.0.0.1:1").connectTimeout(Duration.ofMillis(500)).build())
        .isInstanceOf(TransportException.class)
        .hasMessageContaining("user:***@")
        .hasMessageNotContaining("s3cret");
  }
}
