package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Concurrent misses on one key in one process share one call to the service. */
class StampedeIT extends WithBackend {

  private static List<Object> fire(int callers, Supplier<CompletableFuture<Object>> call) {
    List<CompletableFuture<Object>> futures = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      futures.add(call.get());
    }
    List<Object> replies = new ArrayList<>();
    futures.forEach(f -> replies.add(f.orTimeout(30, TimeUnit.SECONDS).join())); // a lost completion fails, never hangs
    return replies;
  }

  @Test
  void aHundredConcurrentCacheFirstMissesMakeOneCall() {
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).build();
    backend.delayMillis = 300;
    int before = backend.calls("stamp");
    List<Object> replies = fire(100, () -> proxy.callAsync("stamp", List.of("hot"), Map.of()));
    assertThat(backend.calls("stamp")).isEqualTo(before + 1);
    assertThat(replies).hasSize(100).containsOnly(replies.get(0));
  }

  @Test
  void concurrentIdenticalCachedRpcProxyCallsShareTheirCall() {
    CachedRpcProxy proxy = CachedRpcProxy.builder(client).service(backend.name).build();
    backend.delayMillis = 300;
    int before = backend.calls("stamp");
    List<Object> replies = fire(50, () -> proxy.callAsync("stamp", List.of("hot-cached"), Map.of()));
    assertThat(backend.calls("stamp")).isEqualTo(before + 1);
    assertThat(replies).containsOnly(replies.get(0));
    // different arguments are different flights
    fire(5, () -> proxy.callAsync("stamp", List.of("other-" + System.nanoTime()), Map.of()));
    assertThat(backend.calls("stamp")).isEqualTo(before + 6);
  }
}
