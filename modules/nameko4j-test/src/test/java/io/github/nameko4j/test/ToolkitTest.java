package io.github.nameko4j.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.cachetools.InMemoryCacheStore;
import io.github.nameko4j.rpc.MethodNotFoundException;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.rpc.RpcTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The toolkit as a user's test uses it: nothing but the in-process broker, stubs and a faulty store. */
@ExtendWith(NamekoTestExtension.class)
class ToolkitTest {

  private static NamekoRpcClient client(InProcessBroker broker) {
    return NamekoRpcClient.builder().uri(broker.uri()).callTimeout(Duration.ofSeconds(5)).contextData("auth_token", "t0k3n")
        .build();
  }

  @Test
  void aStubAnswersFailsAsNamekoWouldAndRecordsWhatItGot(InProcessBroker broker, Stubs stubs) {
    StubService other = stubs.start("other_service")
        .returns("do_something", "done")
        .answers("add", call -> ((Number) call.args().get(0)).intValue() + ((Number) call.kwargs().get("b")).intValue())
        .fails("boom", "ValueError", "bad value");
    try (NamekoRpcClient client = client(broker)) {
      assertThat(client.call("other_service", "do_something", "hi")).isEqualTo("done");
      assertThat(client.call("other_service", "add", List.of(1), Map.of("b", 2))).isEqualTo(3);
      assertThatThrownBy(() -> client.call("other_service", "boom")).isInstanceOfSatisfying(RemoteServiceException.class,
          e -> assertThat(e.excType()).isEqualTo("ValueError"));
      assertThatThrownBy(() -> client.call("other_service", "nothing_here")).isInstanceOf(MethodNotFoundException.class);
    }
    StubCall first = other.calls("do_something").get(0);
    assertThat(first.args()).containsExactly("hi");
    assertThat(first.contextData()).containsEntry("auth_token", "t0k3n");
    assertThat(first.callIdStack()).singleElement().asString().startsWith("standalone_rpc_proxy.call."); // as nameko's own client
    assertThat(other.calls()).extracting(StubCall::method).containsExactly("do_something", "add", "boom", "nothing_here");
  }

  @Test
  void aCachedProxyFailsOverWhenTheStubTurnsSlowOrFailsAndAFaultyStoreNeverBreaksACall(InProcessBroker broker, Stubs stubs) {
    StubService other = stubs.start("other_service").returns("do_something", "fresh");
    FaultyCacheStore store = FaultyCacheStore.create();
    try (NamekoRpcClient client = client(broker);
        CachedRpcProxy proxy = CachedRpcProxy.builder(client).service("other_service").store(store)
            // no fail-safe throttle: every call below asks the stub
            .defaultPolicy(CachePolicy.custom().failoverTimeout(Duration.ofMillis(200)).failSafeThrottle(Duration.ZERO).build())
            .build()) {
      assertThat(proxy.call("do_something", "hi")).isEqualTo("fresh");
      other.delays("do_something", Duration.ofSeconds(2)).returns("do_something", "late");
      CachedReply slow = proxy.callDetailedAsync("do_something", List.of("hi"), Map.of()).join();
      assertThat(slow.source()).isEqualTo(CachedReply.Source.CACHE);
      assertThat(slow.value()).isEqualTo("fresh");
      awaitNoCallInFlight(client); // callers of a key share its RPC while it is in flight
      other.delays("do_something", Duration.ZERO).fails("do_something", "ConnectionError", "down");
      assertThat(proxy.callDetailedAsync("do_something", List.of("hi"), Map.of()).join().source())
          .isEqualTo(CachedReply.Source.CACHE);
      // The store hangs while the service is healthy again: the service answers.
      other.returns("do_something", "fresh again");
      store.hang();
      assertThat(proxy.call("do_something", "hi")).isEqualTo("fresh again");
      store.heal().down();
      assertThat(proxy.call("do_something", "hi")).isEqualTo("fresh again");
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (store.failedOnPurpose() == 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait(); // the reply's write goes on after the answer, behind the one that hung
      }
      assertThat(store.failedOnPurpose()).as("the store refused the write the reply caused").isPositive();
    }
  }

  private static void awaitNoCallInFlight(NamekoRpcClient client) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (client.inFlight() > 0) {
      assertThat(System.nanoTime()).as("the slow call ended").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  @Test
  void aHungStubTimesTheCallerOutAndAManualClockExpiresEntries(InProcessBroker broker, Stubs stubs) {
    StubService other = stubs.start("other_service").hangs("stuck").returns("lookup", "v1");
    ManualClock clock = new ManualClock();
    try (NamekoRpcClient client = NamekoRpcClient.builder().uri(broker.uri()).callTimeout(Duration.ofMillis(300)).build();
        CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service("other_service")
            .store(InMemoryCacheStore.builder().clock(clock).build()).clock(clock)
            .defaultPolicy(CachePolicy.custom().ttl(Duration.ofMinutes(1)).build()).build()) {
      assertThatThrownBy(() -> client.call("other_service", "stuck")).isInstanceOf(RpcTimeoutException.class);
      assertThat(other.awaitCalls("stuck", 1, Duration.ofSeconds(5))).hasSize(1);
      assertThat(proxy.call("lookup", "k")).isEqualTo("v1");
      other.returns("lookup", "v2");
      assertThat(proxy.call("lookup", "k")).as("within the ttl: the cache").isEqualTo("v1");
      clock.advance(Duration.ofMinutes(2));
      assertThat(proxy.call("lookup", "k")).as("past the ttl, without sleeping").isEqualTo("v2");
    }
  }
}
