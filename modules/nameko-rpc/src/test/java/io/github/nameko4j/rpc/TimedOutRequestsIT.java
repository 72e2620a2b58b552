package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A request expires with its caller's wait: a service that comes back later never runs it. */
@ExtendWith(TestServicesExtension.class)
class TimedOutRequestsIT {

  /** Remembers every argument it was called with. */
  public static class Recorder {
    final Set<Object> seen = ConcurrentHashMap.newKeySet();

    @Rpc
    public Object record(Object x) {
      seen.add(x);
      return x;
    }
  }

  @Test
  void requestsWhoseCallersGaveUpAreNotRunWhenTheServiceReturns(TestServices services) throws Exception {
    String service = "expiry_" + UUID.randomUUID().toString().substring(0, 8);
    Recorder recorder = new Recorder();
    try (NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).build()) {
      NamekoRpcServer.builder().uri(services.amqpUri()).service(service, recorder).start().close(); // its queue stays
      for (int i = 0; i < 4; i++) {
        assertThat(client.callAsync(service, "record", List.of("stale-" + i), Map.of(), Duration.ofMillis(300)))
            .failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
            .withCauseInstanceOf(RpcTimeoutException.class);
      }
      try (NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(service, recorder).start()) {
        // The queue is FIFO: once this fresh call is answered, the stale ones were dropped before it.
        assertThat(client.call(service, "record", "fresh")).isEqualTo("fresh");
        assertThat(recorder.seen).containsExactly("fresh");
      }
    } finally {
      Queues.deleteServiceQueues(services.amqpUri(), service);
    }
  }
}
