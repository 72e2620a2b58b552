package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.github.nameko4j.testsupport.TestTracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One trace through a chain client -> Java service -> caching proxy -> Java target: the proxy's
 * span sits between the service's and the rpc call's, says where the reply came from, and an
 * answer from the cache (a failover, a hit read from Redis) leaves no span without its parent.
 */
@ExtendWith(TestServicesExtension.class)
class TracingThroughTheCacheIT {

  /** The front service: asks back through both proxies. */
  public static class Front {
    private final CachedRpcProxy cached;
    private final CacheFirstRpcProxy cacheFirst;

    Front(CachedRpcProxy cached, CacheFirstRpcProxy cacheFirst) {
      this.cached = cached;
      this.cacheFirst = cacheFirst;
    }

    @Rpc
    public Object viaCached(String x) {
      return cached.call("echo", x);
    }

    @Rpc
    public Object viaCacheFirst(String x) {
      return cacheFirst.call("other", x);
    }
  }

  private static SpanData named(List<SpanData> spans, String name) {
    List<SpanData> found = spans.stream().filter(s -> s.getName().equals(name)).toList();
    assertThat(found).as("one span %s among %s", name, spans.stream().map(SpanData::getName).toList()).hasSize(1);
    return found.get(0);
  }

  private static String tag(SpanData span, String key) {
    return span.getAttributes().get(AttributeKey.stringKey(key));
  }

  /** Every span's parent is in the trace, except the test's root: nothing orphaned on another thread. */
  private static void assertNoOrphans(List<SpanData> trace, String rootSpanId) {
    Set<String> ids = trace.stream().map(SpanData::getSpanId).collect(Collectors.toSet());
    assertThat(ids).contains(rootSpanId);
    assertThat(trace).filteredOn(s -> !s.getSpanId().equals(rootSpanId))
        .allSatisfy(s -> assertThat(ids).as("parent of %s", s.getName()).contains(s.getParentSpanId()));
  }

  @Test
  void aChainThroughTheCachingProxiesIsOneTraceWithTheCacheSpanBetweenServiceAndCall(TestServices services) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String frontName = "trace_front_" + run;
    Fixture.Counting back = new Fixture.Counting("trace_back_" + run);
    try (TestTracing tracing = new TestTracing();
        RedisCacheStore store = RedisCacheStore.builder("trace_" + run).uri(services.redisUri())
            .commandTimeout(Duration.ofSeconds(1)).build();
        NamekoRpcClient frontClient = NamekoRpcClient.builder().uri(services.amqpUri()).callerName(frontName)
            .observationRegistry(tracing.registry()).build();
        NamekoRpcServer backServer = NamekoRpcServer.builder().uri(services.amqpUri()).service(back.name, back)
            .observationRegistry(tracing.registry()).start();
        NamekoRpcServer frontServer = NamekoRpcServer.builder().uri(services.amqpUri()).service(frontName, new Front(
                CachedRpcProxy.builder(frontClient).service(back.name).store(store).observationRegistry(tracing.registry())
                    .defaultPolicy(CachePolicy.custom().failoverTimeout(Duration.ofMillis(300)).build()).build(),
                CacheFirstRpcProxy.builder(frontClient).service(back.name).store(store).observationRegistry(tracing.registry())
                    .defaultPolicy(CachePolicy.custom().ttl(Duration.ofMinutes(5)).build()).build()))
            .observationRegistry(tracing.registry()).start();
        NamekoRpcClient caller = NamekoRpcClient.builder().uri(services.amqpUri()).observationRegistry(tracing.registry())
            .callTimeout(Duration.ofSeconds(10)).build()) {
      Tracer tracer = tracing.tracer();

      // 1. The service answers: root -> front send -> front process -> cache -> back send -> back process.
      Span root = tracer.nextSpan().name("root 1").start();
      try (Tracer.SpanInScope scope = tracer.withSpan(root)) {
        assertThat(caller.call(frontName, "via_cached", "a")).isEqualTo(List.of(back.name, "echo", "a"));
      } finally {
        root.end();
      }
      String trace1 = root.context().traceId();
      await().atMost(Duration.ofSeconds(10)).until(() -> inTrace(tracing, trace1).size() >= 6);
      List<SpanData> first = inTrace(tracing, trace1);
      SpanData frontSend = named(first, frontName + ".via_cached send");
      SpanData frontProcess = named(first, frontName + ".via_cached process");
      SpanData cache = named(first, back.name + ".echo cache");
      SpanData backSend = named(first, back.name + ".echo send");
      SpanData backProcess = named(first, back.name + ".echo process");
      assertThat(frontSend.getParentSpanId()).isEqualTo(root.context().spanId());
      assertThat(frontProcess.getParentSpanId()).isEqualTo(frontSend.getSpanId());
      assertThat(cache.getParentSpanId()).isEqualTo(frontProcess.getSpanId());
      assertThat(backSend.getParentSpanId()).isEqualTo(cache.getSpanId());
      assertThat(backProcess.getParentSpanId()).isEqualTo(backSend.getSpanId());
      assertThat(tag(cache, "nameko.cache.outcome")).isEqualTo("service");
      assertThat(tag(cache, "nameko.cache.mode")).isEqualTo("cached");
      assertNoOrphans(first, root.context().spanId());

      // 2. The service turns slow: the cache answers after the failover timeout, and says why.
      back.delayMillis = 1500;
      Span root2 = tracer.nextSpan().name("root 2").start();
      try (Tracer.SpanInScope scope = tracer.withSpan(root2)) {
        assertThat(caller.call(frontName, "via_cached", "a")).isEqualTo(List.of(back.name, "echo", "a"));
      } finally {
        root2.end();
      }
      String trace2 = root2.context().traceId();
      // The late reply ends the server's span, then, once it reaches the client, the client's: wait for both.
      await().atMost(Duration.ofSeconds(10)).until(() -> inTrace(tracing, trace2).stream()
          .filter(s -> s.getName().equals(back.name + ".echo process") || s.getName().equals(back.name + ".echo send")).count() == 2);
      List<SpanData> second = inTrace(tracing, trace2);
      SpanData fallback = named(second, back.name + ".echo cache");
      assertThat(tag(fallback, "nameko.cache.outcome")).isEqualTo("fallback");
      assertThat(tag(fallback, "nameko.cache.fallback.reason")).isEqualTo("timeout");
      assertThat(fallback.getParentSpanId()).isEqualTo(named(second, frontName + ".via_cached process").getSpanId());
      assertThat(named(second, back.name + ".echo send").getParentSpanId()).isEqualTo(fallback.getSpanId());
      assertNoOrphans(second, root2.context().spanId());
      back.delayMillis = 0;

      // 3. CacheFirst: a miss, then a hit read from Redis: the hit's cache span has no rpc under it, and a parent.
      caller.call(frontName, "via_cache_first", "b");
      Span root3 = tracer.nextSpan().name("root 3").start();
      try (Tracer.SpanInScope scope = tracer.withSpan(root3)) {
        assertThat(caller.call(frontName, "via_cache_first", "b")).isEqualTo(List.of(back.name, "other", "b"));
      } finally {
        root3.end();
      }
      String trace3 = root3.context().traceId();
      // Spans are exported as they end; the client's ends once the reply reached it: wait for all four.
      await().atMost(Duration.ofSeconds(10)).until(() -> inTrace(tracing, trace3).stream().map(SpanData::getName).toList()
          .containsAll(List.of("root 3", frontName + ".via_cache_first send", frontName + ".via_cache_first process", back.name + ".other cache")));
      List<SpanData> third = inTrace(tracing, trace3);
      SpanData hit = named(third, back.name + ".other cache");
      assertThat(tag(hit, "nameko.cache.outcome")).isEqualTo("hit");
      assertThat(tag(hit, "nameko.cache.mode")).isEqualTo("cache_first");
      assertThat(hit.getParentSpanId()).isEqualTo(named(third, frontName + ".via_cache_first process").getSpanId());
      assertThat(third).noneMatch(s -> s.getName().equals(back.name + ".other send"));
      assertNoOrphans(third, root3.context().spanId());
      assertThat(back.calls("other", "b")).isEqualTo(1);
    } finally {
      Fixture.deleteQueues(services.amqpUri(), frontName, back.name);
      Fixture.deleteKeys(services.redisUri(), "nameko4j:trace_" + run + ":*");
    }
  }

  private static List<SpanData> inTrace(TestTracing tracing, String traceId) {
    return tracing.spans().stream().filter(s -> s.getTraceId().equals(traceId)).toList();
  }
}
