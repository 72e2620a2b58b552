package io.github.nameko4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.test.FaultyCacheStore;
import io.github.nameko4j.test.InProcessBroker;
import io.github.nameko4j.test.NamekoTestExtension;
import io.github.nameko4j.test.StubCall;
import io.github.nameko4j.test.StubService;
import io.github.nameko4j.test.Stubs;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The demo service tested with the toolkit alone, as a user tests their own: no RabbitMQ, no
 * Redis, other_service a stub. Its failover, and the caller's context reaching other_service.
 */
@ExtendWith(NamekoTestExtension.class)
@SuppressWarnings("unchecked") // replies are JSON objects
class DemoServiceToolkitTest {

  @Test
  void doSomethingAnswersFromTheCacheWhenOtherServiceFailsAndPassesTheCallersContextOn(InProcessBroker broker, Stubs stubs) {
    StubService other = stubs.start("other_service").returns("do_something", "the answer");
    FaultyCacheStore store = FaultyCacheStore.create();
    try (NamekoRpcClient rpc = NamekoRpcClient.builder().uri(broker.uri()).build();
        NamekoRpcServer demo = NamekoRpcServer.builder().uri(broker.uri()).service("demo", new DemoService("A", rpc, store)).start();
        NamekoRpcClient caller = NamekoRpcClient.builder().uri(broker.uri()).contextData("auth_token", "alice-token").build()) {
      Map<String, Object> first = (Map<String, Object>) caller.call("demo", "do_something", "hi");
      assertThat(first).containsEntry("source", "service").containsEntry("reply", "the answer");

      other.fails("do_something", "ConnectionError", "database down");
      Map<String, Object> failedOver = (Map<String, Object>) caller.call("demo", "do_something", "hi");
      assertThat(failedOver).containsEntry("source", "cache").containsEntry("reply", "the answer")
          .containsEntry("because", "RemoteServiceException");

      other.returns("do_something", "slow answer").delays("do_something", Duration.ofSeconds(3));
      store.latency(Duration.ofMillis(50)); // a slow cache does not matter while the failover waits
      Map<String, Object> slow = (Map<String, Object>) caller.call("demo", "do_something", "hi");
      assertThat(slow).containsEntry("source", "cache");

      StubCall seen = other.calls("do_something").get(0);
      assertThat(seen.args()).containsExactly("hi");
      assertThat(seen.contextData()).as("the caller's context data, carried through demo").containsEntry("auth_token", "alice-token");
      assertThat(seen.callIdStack()).as("the caller's id, then demo's").hasSize(2).last().asString().startsWith("demo.do_something.");
    }
  }
}
