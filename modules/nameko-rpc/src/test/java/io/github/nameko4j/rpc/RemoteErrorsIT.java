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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Errors that are not a service's own, and context values AMQP cannot carry. */
@ExtendWith(TestServicesExtension.class)
class RemoteErrorsIT {

  /** Calls {@code boom} downstream and lets its error escape, waiting one way or the other. */
  public static class Relay {
    final NamekoRpcClient rpc;
    final String downstream;

    Relay(NamekoRpcClient rpc, String downstream) {
      this.rpc = rpc;
      this.downstream = downstream;
    }

    @Rpc
    public Object viaCall(String message) {
      return rpc.call(downstream, "boom", message);
    }

    @Rpc
    public Object viaJoin(String message) {
      return rpc.callAsync(downstream, "boom", List.of(message), Map.of()).join();
    }
  }

  @Test
  void aDownstreamErrorReRaisedReachesTheCallerAsRemoteErrorWhicheverWayTheServiceWaited(TestServices services) {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String echo = "echo_err_" + id;
    String relay = "relay_" + id;
    try (NamekoRpcClient inner = NamekoRpcClient.builder().uri(services.amqpUri()).build();
        NamekoRpcServer echoServer = NamekoRpcServer.builder().uri(services.amqpUri()).service(echo, new EchoService()).start();
        NamekoRpcServer relayServer = NamekoRpcServer.builder().uri(services.amqpUri()).service(relay, new Relay(inner, echo)).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).build()) {
      for (String method : new String[] {"via_call", "via_join"}) {
        assertThatThrownBy(() -> client.call(relay, method, "kaboom")).as(method)
            .isInstanceOfSatisfying(RemoteServiceException.class, e -> {
              assertThat(e.excType()).isEqualTo("RemoteError");
              assertThat(e.excPath()).isEqualTo("nameko.exceptions.RemoteError");
              assertThat(e.value()).isEqualTo("ValueError kaboom");
            });
      }
    } finally {
      Queues.deleteServiceQueues(services.amqpUri(), echo, relay);
    }
  }

  @Test
  void aContextValueAmqpCannotCarryFailsItsOwnCallOnly(TestServices services) throws Exception {
    String service = "ctx_err_" + UUID.randomUUID().toString().substring(0, 8);
    assertThatThrownBy(() -> NamekoRpcClient.builder().contextData("trace", UUID.randomUUID()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'trace'").hasMessageContaining("java.util.UUID");
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(service, new EchoService()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).callTimeout(Duration.ofSeconds(10)).build()) {
      RpcContext bad = RpcContext.of("caller", "m", List.of("caller.m.1"), Map.of("user", UUID.randomUUID()));
      var future = bad.callWith(() -> client.callAsync(service, "echo", List.of(1), Map.of()));
      assertThat(future).failsWithin(Duration.ofSeconds(1)).withThrowableThat().havingCause()
          .isInstanceOf(CodecException.class).withMessageContaining("context data 'user'");
      assertThat(client.inFlight()).isZero();
      assertThat(client.call(service, "echo", "next")).isEqualTo("next");
    } finally {
      Queues.deleteServiceQueues(services.amqpUri(), service);
    }
  }
}
