package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The two examples of the original documentation, in Java, as the README shows them. */
@ExtendWith(TestServicesExtension.class)
class OriginalExamplesIT {

  /** Example 1: a CachedRpcProxy with the default (in-process, unbounded-time) cache. */
  public static class Service {
    private final CachedRpcProxy otherService;

    public Service(NamekoRpcClient rpc, String otherServiceName) {
      // this rpc response will be cached, further queries will be timed and cached values
      // will be returned if no response is received or an exception is raised at the destination
      this.otherService = CachedRpcProxy.builder(rpc).service(otherServiceName).build();
    }

    @Rpc
    public Object doSomething(Object request) {
      return otherService.call("do_something", "hi");
    }
  }

  /** Example 2: a cache holding at most 1,024 replies, each for 30 seconds. */
  public static class ServiceWithTtlCache {
    private final CachedRpcProxy otherService;

    public ServiceWithTtlCache(NamekoRpcClient rpc, String otherServiceName) {
      this.otherService = CachedRpcProxy.builder(rpc)
          .service(otherServiceName)
          .store(InMemoryCacheStore.builder().maximumSize(1024).build())
          .defaultPolicy(CachePolicy.custom().ttl(Duration.ofSeconds(30)).build())
          .build();
    }

    @Rpc
    public Object doSomething(Object request) {
      return otherService.call("do_something", "hi");
    }
  }

  /** The target: answers until told to fail. */
  public static class OtherService {
    volatile boolean down;
    int calls;

    @Rpc
    public synchronized Object doSomething(String x) {
      calls++;
      if (down) {
        throw new IllegalStateException("other_service is down");
      }
      return "did " + x + " #" + calls;
    }
  }

  @Test
  void bothExamplesKeepAnsweringWhenOtherServiceFails(TestServices services) {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String other = "other_service_" + suffix;
    OtherService target = new OtherService();
    try (NamekoRpcClient rpc = NamekoRpcClient.builder().uri(services.amqpUri()).build();
        NamekoRpcServer otherServer = NamekoRpcServer.builder().uri(services.amqpUri()).service(other, target).start();
        NamekoRpcServer demo = NamekoRpcServer.builder().uri(services.amqpUri()).service("demo_" + suffix, new Service(rpc, other)).start();
        NamekoRpcServer demoTtl = NamekoRpcServer.builder().uri(services.amqpUri()).service("demo_ttl_" + suffix, new ServiceWithTtlCache(rpc, other)).start();
        NamekoRpcClient caller = NamekoRpcClient.builder().uri(services.amqpUri()).build()) {
      Object viaDemo = caller.call("demo_" + suffix, "do_something", "request");
      Object viaTtl = caller.call("demo_ttl_" + suffix, "do_something", "request");
      assertThat(viaDemo).isEqualTo("did hi #1");
      assertThat(viaTtl).isEqualTo("did hi #2");
      target.down = true;
      assertThat(caller.call("demo_" + suffix, "do_something", "request")).isEqualTo(viaDemo);
      assertThat(caller.call("demo_ttl_" + suffix, "do_something", "request")).isEqualTo(viaTtl);
      assertThat(target.calls).isEqualTo(4); // CachedRpcProxy always asks the service first
    } finally {
      Queues.deleteServiceQueues(services.amqpUri(), other, "demo_" + suffix, "demo_ttl_" + suffix);
    }
  }
}
