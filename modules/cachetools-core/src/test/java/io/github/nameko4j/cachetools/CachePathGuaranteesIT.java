package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.rpc.RpcContext;
import io.github.nameko4j.testsupport.TestServices;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What a caller of either proxy can count on whatever other callers, the store or the service do. */
class CachePathGuaranteesIT extends WithBackend {

  @Test
  void oneCallersTimeoutOrCancelNeverReachesTheOtherCallersOfTheKey() throws Exception {
    CachedRpcProxy proxy = CachedRpcProxy.builder(client).service(backend.name).build();
    backend.delayMillis = 800;
    int before = backend.calls("stamp");
    CompletableFuture<CachedReply> impatient = proxy.callDetailedAsync("stamp", List.of("shared"), Map.of())
        .orTimeout(100, TimeUnit.MILLISECONDS);
    CompletableFuture<CachedReply> cancelled = proxy.callDetailedAsync("stamp", List.of("shared"), Map.of());
    CompletableFuture<CachedReply> patient = proxy.callDetailedAsync("stamp", List.of("shared"), Map.of());
    assertThat(impatient).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(TimeoutException.class);
    cancelled.cancel(true);
    CompletableFuture<CachedReply> later = proxy.callDetailedAsync("stamp", List.of("shared"), Map.of());
    assertThat(patient.get(10, TimeUnit.SECONDS).source()).isEqualTo(CachedReply.Source.SERVICE);
    assertThat(later.get(10, TimeUnit.SECONDS).value()).isEqualTo(patient.get().value());
    assertThat(backend.calls("stamp")).isEqualTo(before + 1); // still one shared call

    CacheFirstRpcProxy first = CacheFirstRpcProxy.builder(client).service(backend.name).build();
    CompletableFuture<Object> gaveUp = first.callAsync("stamp", List.of("cf"), Map.of()).orTimeout(100, TimeUnit.MILLISECONDS);
    CompletableFuture<Object> waits = first.callAsync("stamp", List.of("cf"), Map.of());
    assertThat(gaveUp).failsWithin(Duration.ofSeconds(5));
    assertThat(waits.get(10, TimeUnit.SECONDS)).isEqualTo(List.of("cf", before + 2));
  }

  @Test
  void aStoreWhosePutAndLeaseNeverCompleteCannotHangACall() throws Exception {
    NeverAnsweringStore store = new NeverAnsweringStore();
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store)
        .storeTimeout(Duration.ofMillis(100)).storeWriteTimeout(Duration.ofMillis(200))
        .crossReplicaLease(Duration.ofSeconds(5), Duration.ofSeconds(1)).build();
    for (int i = 0; i < 3; i++) { // the key's flight ends every time: later calls are not stuck behind it
      assertThat(proxy.callAsync("echo", List.of("stuck"), Map.of()).get(10, TimeUnit.SECONDS)).isEqualTo("stuck");
    }
    assertThat(store.gets.get()).isPositive();
    assertThat(store.puts.get()).isPositive();
    assertThat(store.leases.get()).isPositive();
    CachedRpcProxy cached = CachedRpcProxy.builder(client).service(backend.name).store(store)
        .storeTimeout(Duration.ofMillis(100)).build();
    backend.failing = true; // the fallback lookup never answers either: the original error, in bounded time
    assertThat(cached.callAsync("echo", List.of("stuck"), Map.of())).failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(ExecutionException.class).withCauseInstanceOf(RemoteServiceException.class);
  }

  @Test
  void repliesVaryOnTheContextKeysThePolicyNames(TestServices services) throws Exception {
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name)
        .policy("stamp", CachePolicy.custom().varyOnContext("auth_token").build()).build();
    Object alice = as("alice", () -> proxy.call("stamp", "me"));
    Object bob = as("bob", () -> proxy.call("stamp", "me"));
    assertThat(bob).isNotEqualTo(alice); // bob's reply was fetched for bob
    assertThat(as("alice", () -> proxy.call("stamp", "me"))).isEqualTo(alice);
    assertThat(as("bob", () -> proxy.call("stamp", "me"))).isEqualTo(bob);
    // outside a service method, the client's own context data is what the call carries
    try (NamekoRpcClient carol = NamekoRpcClient.builder().uri(services.amqpUri()).contextData("auth_token", "carol").build()) {
      CacheFirstRpcProxy carols = CacheFirstRpcProxy.builder(carol).service(backend.name)
          .policy("stamp", CachePolicy.custom().varyOnContext("auth_token").build()).store(InMemoryCacheStore.create()).build();
      Object first = carols.call("stamp", "me");
      assertThat(first).isNotIn(alice, bob);
      assertThat(carols.call("stamp", "me")).isEqualTo(first);
    }
    // without varyOnContext, one user's reply is every user's
    CacheFirstRpcProxy shared = CacheFirstRpcProxy.builder(client).service(backend.name).build();
    Object sharedAlice = as("alice", () -> shared.call("stamp", "shared"));
    assertThat(as("bob", () -> shared.call("stamp", "shared"))).isEqualTo(sharedAlice);
  }

  private static Object as(String token, Callable<Object> call) throws Exception {
    return RpcContext.of("front", "handler", List.of("front.handler.1"), Map.of("auth_token", token)).callWith(call);
  }

  @Test
  void aHungServiceGetsOneRpcPerKeyNotOnePerCall(TestServices services) throws Exception {
    try (NamekoRpcClient shortWait = NamekoRpcClient.builder().uri(services.amqpUri()).callTimeout(Duration.ofSeconds(3)).build()) {
      CachedRpcProxy proxy = CachedRpcProxy.builder(shortWait).service(backend.name)
          .defaultPolicy(CachePolicy.custom().failoverTimeout(Duration.ofMillis(100)).build()).build();
      Object cached = proxy.call("stamp", "hung");
      int before = backend.calls("stamp");
      backend.delayMillis = 8_000; // hung, as far as a 3 s call timeout can tell
      List<CachedReply> replies = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        replies.add(proxy.callDetailedAsync("stamp", List.of("hung"), Map.of()).get(10, TimeUnit.SECONDS));
        assertThat(shortWait.inFlight()).isLessThanOrEqualTo(1);
      }
      assertThat(replies).allSatisfy(r -> {
        assertThat(r.source()).isEqualTo(CachedReply.Source.CACHE);
        assertThat(r.value()).isEqualTo(cached);
      });
      assertThat(backend.calls("stamp")).isEqualTo(before + 1);
    }
  }

  @Test
  void withAFailSafeWindowTheCacheAnswersAtOnceWhileOneProbeAsksTheService(TestServices services) throws Exception {
    try (NamekoRpcClient rpc = NamekoRpcClient.builder().uri(services.amqpUri()).callTimeout(Duration.ofSeconds(10)).build()) {
      CachedRpcProxy proxy = CachedRpcProxy.builder(rpc).service(backend.name)
          .defaultPolicy(CachePolicy.custom().failSafeThrottle(Duration.ofMinutes(1)).build()).build();
      Object cached = proxy.call("stamp", "probe");
      backend.failing = true;
      CachedReply fallback = proxy.callDetailedAsync("stamp", List.of("probe"), Map.of()).get(10, TimeUnit.SECONDS);
      assertThat(fallback.source()).isEqualTo(CachedReply.Source.CACHE);
      int afterFailure = backend.calls("stamp");
      backend.failing = false;
      backend.delayMillis = 3_000; // the service is back, slowly: a probe takes 3 s
      AtomicInteger fromCache = new AtomicInteger();
      for (int i = 0; i < 20; i++) {
        CachedReply r = proxy.callDetailedAsync("stamp", List.of("probe"), Map.of()).get(10, TimeUnit.SECONDS);
        if (r.source() == CachedReply.Source.CACHE && r.value().equals(cached)) {
          fromCache.incrementAndGet();
        }
      }
      assertThat(fromCache).hasValue(20); // none waited for the service
      await().atMost(Duration.ofSeconds(5)).until(() -> backend.calls("stamp") - afterFailure >= 1);
      assertThat(backend.calls("stamp") - afterFailure).isEqualTo(1); // one probe at a time
      // the probe's good reply ends the window: the service answers again
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(proxy.callDetailedAsync("stamp", List.of("probe"), Map.of()).get().source()).isEqualTo(CachedReply.Source.SERVICE));
    }
  }

  /** A store whose every future stays pending forever, as a broken custom store or client might. */
  static final class NeverAnsweringStore implements CacheStore {
    final AtomicInteger gets = new AtomicInteger();
    final AtomicInteger puts = new AtomicInteger();
    final AtomicInteger leases = new AtomicInteger();

    @Override
    public CompletableFuture<byte[]> get(String key) {
      gets.incrementAndGet();
      return new CompletableFuture<>();
    }

    @Override
    public CompletableFuture<Void> put(String key, byte[] value, Duration ttl) {
      puts.incrementAndGet();
      return new CompletableFuture<>();
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
      return new CompletableFuture<>();
    }

    @Override
    public CompletableFuture<Boolean> tryLease(String key, String owner, Duration ttl) {
      leases.incrementAndGet();
      return new CompletableFuture<>();
    }

    @Override
    public CompletableFuture<Void> releaseLease(String key, String owner) {
      return new CompletableFuture<>();
    }
  }
}
