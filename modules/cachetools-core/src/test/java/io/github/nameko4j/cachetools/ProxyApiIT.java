package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.rpc.RpcService;
import io.github.nameko4j.testsupport.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The API as code uses it: one type for both proxies, provenance on typed proxies, no silent no-ops. */
class ProxyApiIT extends WithBackend {

  @RpcService("placeholder")
  interface Detailed {
    CachedReply stamp(String x);

    CompletableFuture<CachedReply> echo(String x);

    Object other(String x);
  }

  /** An in-process store whose writes the test completes late. */
  private static final class SlowWrites implements CacheStore {
    final InMemoryCacheStore inner = InMemoryCacheStore.create();
    final AtomicInteger written = new AtomicInteger();

    @Override
    public CompletableFuture<byte[]> get(String key) {
      return inner.get(key);
    }

    @Override
    public CompletableFuture<Void> put(String key, byte[] value, Duration ttl) {
      return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS))
          .thenCompose(v -> inner.put(key, value, ttl)).thenRun(written::incrementAndGet);
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
      return inner.delete(key);
    }
  }

  @Test
  void aClosedProxyRefusesCallsNamingItselfAfterItsCacheWritesFinish() {
    SlowWrites store = new SlowWrites();
    try (CachedRpcProxy cached = CachedRpcProxy.builder(client).service(backend.name).store(store).build();
        CacheFirstRpcProxy cacheFirst = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build()) {
      assertThat(cached.call("echo", "a")).isEqualTo("a");
      assertThat(cacheFirst.call("echo", "b")).isEqualTo("b");
      assertThat(store.written).as("the writes are still on their way").hasValue(0);
      cached.close();
      cacheFirst.close();
      assertThat(store.written).as("close() waited for the writes the proxies had sent").hasValue(2);
      assertThatThrownBy(() -> cached.call("echo", "a")).isInstanceOf(IllegalStateException.class)
          .hasMessage("CachedRpcProxy of " + backend.name + " is closed");
      assertThatThrownBy(() -> cacheFirst.callAsync("echo", List.of("b"), Map.of())).isInstanceOf(IllegalStateException.class)
          .hasMessage("CacheFirstRpcProxy of " + backend.name + " is closed");
    }
  }

  @Test
  void codeCanTakeEitherProxyAsOneType() {
    boolean mustStayUp = backend.calls("echo") >= 0;
    CachingProxy proxy = mustStayUp
        ? CachedRpcProxy.builder(client).service(backend.name).build()
        : CacheFirstRpcProxy.builder(client).service(backend.name).build();
    assertThat(proxy.call("echo", "either")).isEqualTo("either");
    assertThat(proxy.service()).isEqualTo(backend.name);
    // a list and a map as two positional arguments: the explicit form says so
    assertThat(proxy.call("echo", List.of(List.of(1, 2)), Map.of())).isEqualTo(List.of(1, 2));
  }

  @Test
  void aTypedMethodDeclaredToReturnCachedReplySaysWhoAnswered() throws Exception {
    Detailed typed = CacheFirstRpcProxy.builder(client).service(backend.name)
        .defaultPolicy(CachePolicy.custom().ttl(Duration.ofMinutes(1)).build()).build(Detailed.class);
    CachedReply first = typed.stamp("who");
    assertThat(first.source()).isEqualTo(CachedReply.Source.SERVICE);
    CachedReply second = typed.stamp("who");
    assertThat(second.source()).isEqualTo(CachedReply.Source.CACHE);
    assertThat(second.value()).isEqualTo(first.value());
    assertThat(typed.echo("async").get().value()).isEqualTo("async");
    assertThat(typed.other("plain")).isEqualTo("other:plain");
  }

  @Test
  void settingsAProxyWouldIgnoreFailAtBuildTime() {
    CachePolicy failover = CachePolicy.custom().failoverTimeout(Duration.ofSeconds(1)).build();
    assertThatThrownBy(() -> CacheFirstRpcProxy.builder(client).service(backend.name).defaultPolicy(failover).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("failoverTimeout does nothing on a CacheFirstRpcProxy");
    assertThatThrownBy(() -> CacheFirstRpcProxy.builder(client).service(backend.name)
        .policy("echo", CachePolicy.custom().failSafeThrottle(Duration.ofSeconds(5)).build()).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("policy of echo").hasMessageContaining("failSafeThrottle");
    assertThatThrownBy(() -> CachedRpcProxy.builder(client).service(backend.name)
        .defaultPolicy(CachePolicy.custom().ttl(Duration.ofMinutes(1)).refreshAhead(0.5).build()).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("refreshAhead does nothing on a CachedRpcProxy");
  }

  @RpcService("placeholder")
  interface AnnotatedFailover {
    @Caching(failoverTimeout = "1s")
    Object echo(Object x);
  }

  @Test
  void anAnnotationTheProxyWouldIgnoreFailsAtBuildTimeNamingTheMethod() {
    assertThatThrownBy(() -> CacheFirstRpcProxy.builder(client).service(backend.name).build(AnnotatedFailover.class))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("policy of echo").hasMessageContaining("failoverTimeout");
    assertThat(CachedRpcProxy.builder(client).service(backend.name).build(AnnotatedFailover.class).echo("fine")).isEqualTo("fine");
  }

  @RpcService("placeholder")
  interface Precedence {
    @Caching(ttl = "2m")
    Object echo(Object x);
  }

  @Test
  void anAnnotationReplacesOnlyTheSettingsItGivesOfTheBuildersPolicy() {
    ManualClock clock = new ManualClock();
    // builder: ttl 1m, stale window 5m for echo; annotation: ttl 2m. Effective: ttl 2m, stale 5m.
    InMemoryCacheStore store = InMemoryCacheStore.builder().clock(clock).build();
    Precedence typed = CachedRpcProxy.builder(client).service(backend.name).clock(clock)
        .store(store)
        .policy("echo", CachePolicy.custom().ttl(Duration.ofMinutes(1)).staleWindow(Duration.ofMinutes(5)).build())
        .build(Precedence.class);
    assertThat(typed.echo("p")).isEqualTo("p");
    await().atMost(Duration.ofSeconds(10)).until(() -> store.size() == 1); // stored in the background before time jumps
    backend.failing = true;
    clock.advance(Duration.ofMinutes(6)); // past 1m + 5m: gone had the annotation's ttl not replaced the builder's
    assertThat(typed.echo("p")).isEqualTo("p"); // answered from the entry, kept 2m + 5m
    clock.advance(Duration.ofMinutes(2)); // past 2m + 5m: expired
    assertThatThrownBy(() -> typed.echo("p")).isInstanceOf(RemoteServiceException.class);
  }

  @RpcService("placeholder")
  interface PricesWithMaxAge {
    @Caching(ttl = "1m", ttlFromField = "max_age", ttlJitter = "1s")
    Map<String, Object> echo(Map<String, Object> x);
  }

  @Test
  void aTypedInterfaceTakesItsTtlFromTheReplyByAnnotation() {
    ManualClock clock = new ManualClock();
    PricesWithMaxAge typed = CacheFirstRpcProxy.builder(client).service(backend.name).clock(clock)
        .store(InMemoryCacheStore.builder().clock(clock).build()).build(PricesWithMaxAge.class);
    int before = backend.calls("echo");
    Map<String, Object> tenMinutes = Map.of("price", 1, "max_age", 600);
    assertThat(typed.echo(tenMinutes)).isEqualTo(tenMinutes);
    clock.advance(Duration.ofMinutes(5)); // past the annotation's 1m ttl, within the reply's 10 min
    assertThat(typed.echo(tenMinutes)).isEqualTo(tenMinutes);
    assertThat(backend.calls("echo")).isEqualTo(before + 1);
    Map<String, Object> never = Map.of("price", 2, "max_age", 0);
    typed.echo(never);
    typed.echo(never);
    assertThat(backend.calls("echo")).isEqualTo(before + 3); // "max_age": 0 is never cached
  }
}
