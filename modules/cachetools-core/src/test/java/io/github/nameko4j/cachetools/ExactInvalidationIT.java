package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.testsupport.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Once an invalidation returns, no call that starts afterwards is answered with anything fetched
 * or cached before it: not by the RPC still in flight, not by what that RPC stores when it ends.
 * The backend is held slow so that a reply is still on its way while the invalidation happens.
 */
class ExactInvalidationIT extends WithBackend {

  @Test
  void aCachedCallAfterAnInvalidationNeverJoinsTheRpcWhoseFailoverAnsweredFromTheInvalidatedEntry() {
    CachedRpcProxy proxy = CachedRpcProxy.builder(client).service(backend.name).store(InMemoryCacheStore.create())
        .defaultPolicy(CachePolicy.custom().failoverTimeout(Duration.ofMillis(200)).build()).build();
    Object cached = proxy.call("stamp", "x");
    backend.delayMillis = 1500;
    CachedReply failedOver = proxy.callDetailedAsync("stamp", List.of("x"), Map.of()).join();
    assertThat(failedOver.source()).isEqualTo(CachedReply.Source.CACHE); // its RPC is still in flight
    assertThat(failedOver.fallbackCause()).containsInstanceOf(TimeoutException.class);
    assertThat(failedOver.value()).isEqualTo(cached);

    proxy.invalidateAll().join();
    CachedReply after = proxy.callDetailedAsync("stamp", List.of("x"), Map.of()).join();
    assertThat(after.source()).as("the call after the invalidation waited for the service").isEqualTo(CachedReply.Source.SERVICE);
    assertThat(after.value()).isNotEqualTo(cached);
  }

  @Test
  void aReplyInFlightDuringAnInvalidationAnswersOnlyItsOwnCallersAndIsNeverServedAfterIt() {
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(InMemoryCacheStore.create())
        .defaultPolicy(CachePolicy.custom().ttl(Duration.ofMinutes(5)).build()).build();
    backend.delayMillis = 1000;
    int before = backend.calls("stamp");
    CompletableFuture<Object> inFlight = proxy.callAsync("stamp", List.of("y"), Map.of());
    await().atMost(Duration.ofSeconds(5)).until(() -> backend.calls("stamp") == before + 1); // the service has it
    proxy.invalidate("stamp", List.of("y"), Map.of()).join(); // the data changed

    CompletableFuture<Object> after = proxy.callAsync("stamp", List.of("y"), Map.of());
    Object old = inFlight.join();
    Object fresh = after.join();
    assertThat(fresh).as("a caller after the invalidation did not share the old call").isNotEqualTo(old);
    backend.delayMillis = 0;
    assertThat(proxy.call("stamp", "y")).as("what stays cached is the reply fetched after it").isEqualTo(fresh);
    assertThat(backend.calls("stamp")).isEqualTo(before + 2);
  }

  @Test
  void aMethodInvalidatedWhileItsReplyIsInFlightIsNotCachedFromThatReply() {
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(InMemoryCacheStore.create()).build();
    backend.delayMillis = 800;
    int before = backend.calls("stamp");
    CompletableFuture<Object> inFlight = proxy.callAsync("stamp", List.of("z"), Map.of());
    await().atMost(Duration.ofSeconds(5)).until(() -> backend.calls("stamp") == before + 1);
    proxy.invalidateMethod("stamp").join();
    Object old = inFlight.join();
    backend.delayMillis = 0;
    Object next = proxy.call("stamp", "z");
    assertThat(next).isNotEqualTo(old);
    assertThat(backend.calls("stamp")).isEqualTo(before + 2);
  }

  @Test
  void aReaderJudgesASharedEntryByItsOwnTtlAsWellAsTheWriters() {
    ManualClock clock = new ManualClock();
    InMemoryCacheStore store = InMemoryCacheStore.builder().clock(clock).build();
    CachedRpcProxy writer = CachedRpcProxy.builder(client).service(backend.name).store(store).clock(clock)
        .defaultPolicy(CachePolicy.custom().ttl(Duration.ofMinutes(5)).staleWindow(Duration.ofHours(1)).build()).build();
    CacheFirstRpcProxy reader = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).clock(clock)
        .defaultPolicy(CachePolicy.custom().ttl(Duration.ofSeconds(10)).build()).build();
    Object written = writer.call("stamp", "shared");
    await().atMost(Duration.ofSeconds(5)).until(() -> store.size() == 1); // stored in the background
    int calls = backend.calls("stamp");
    assertThat(reader.call("stamp", "shared")).isEqualTo(written); // fresh by both ttls
    assertThat(backend.calls("stamp")).isEqualTo(calls);
    clock.advance(Duration.ofSeconds(11)); // fresh by the writer's 5 min, stale by the reader's 10 s
    assertThat(reader.call("stamp", "shared")).isNotEqualTo(written);
    assertThat(backend.calls("stamp")).isEqualTo(calls + 1);
  }

  @Test
  void aTagInvalidatesRepliesOfEveryMethodThatCarriesItAndOnlyThose() {
    InMemoryCacheStore store = InMemoryCacheStore.create();
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store)
        .policy("stamp", CachePolicy.custom().tags(CacheTags.template("product:{0}")).build())
        .policy("other", CachePolicy.custom().tags(CacheTags.template("product:{reply}")).build())
        .build();
    Object stamp42 = proxy.call("stamp", 42);
    Object other42 = proxy.call("other", 42); // "other:42": tagged product:other:42 by its reply
    Object stamp43 = proxy.call("stamp", 43);
    int stamps = backend.calls("stamp");
    int others = backend.calls("other");

    proxy.invalidateTag("product:42").join();
    assertThat(proxy.call("stamp", 42)).isNotEqualTo(stamp42);
    assertThat(proxy.call("stamp", 43)).isEqualTo(stamp43);
    assertThat(proxy.call("other", 42)).isEqualTo(other42); // its tag is product:other:42
    assertThat(backend.calls("stamp")).isEqualTo(stamps + 1);
    proxy.invalidateTag("product:other:42").join();
    proxy.call("other", 42);
    assertThat(backend.calls("other")).isEqualTo(others + 1);
  }
}
