package io.github.nameko4j.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.rpc.UnknownServiceException;
import org.junit.jupiter.api.Test;

/** The nameko protocol works on the in-process broker as on RabbitMQ: calls, errors, unknown service. */
class InProcessBrokerTest {
  public static class Adder {
    @Rpc
    public long add(long a, long b) {
      return a + b;
    }
  }

  @Test
  void carriesNamekoRpcIncludingUnknownServiceReturns() {
    try (InProcessBroker broker = InProcessBroker.start();
        NamekoRpcServer server = NamekoRpcServer.builder().uri(broker.uri()).service("adder", new Adder()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(broker.uri()).build()) {
      assertThat(client.call("adder", "add", 2, 3)).isEqualTo(5);
      assertThatThrownBy(() -> client.call("nobody", "add", 1, 2)).isInstanceOf(UnknownServiceException.class);
    }
  }
}
