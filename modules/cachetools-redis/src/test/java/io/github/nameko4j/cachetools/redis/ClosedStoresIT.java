package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.CacheStoreException;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.InMemoryCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.LogCapture;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * After {@code close()} a store refuses every operation the same way, with the library's own
 * reason and message: calls used to skip the cache in silence, {@code invalidateMethod} failed
 * with Netty's "cannot be started once stopped" while {@code invalidate} returned quietly, and
 * {@code circuitState()} still said CLOSED. The calls themselves are still answered by the
 * service: a cache problem never breaks a call the service can answer.
 */
@ExtendWith(TestServicesExtension.class)
class ClosedStoresIT {

  @Test
  void aClosedStoreRefusesEveryOperationWithTheSameReasonAndCallsStillReachTheService(TestServices services) throws Exception {
    String ns = "closed_" + UUID.randomUUID().toString().substring(0, 8);
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        LogCapture log = LogCapture.start()) {
      Map<String, CacheStore> stores = new LinkedHashMap<>();
      stores.put("in-process", InMemoryCacheStore.create());
      stores.put("Redis", RedisCacheStore.builder(ns).uri(services.redisUri()).build());
      stores.put("Redis with a near cache", RedisCacheStore.builder(ns + "_near").uri(services.redisUri()).nearCache(100, Duration.ofMinutes(1)).build());
      for (Map.Entry<String, CacheStore> e : stores.entrySet()) {
        CacheStore store = e.getValue();
        CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build();
        assertThat(proxy.call("echo", "warm")).as(e.getKey()).isEqualTo("warm"); // cached, also in the near cache
        store.close();

        Map<String, Supplier<CompletableFuture<?>>> operations = new LinkedHashMap<>();
        operations.put("get", () -> store.get("k"));
        operations.put("put", () -> store.put("k", new byte[] {1}, Duration.ofMinutes(1)));
        operations.put("delete", () -> store.delete("k"));
        operations.put("tryLease", () -> store.tryLease("k", "me", Duration.ofSeconds(1)));
        operations.put("releaseLease", () -> store.releaseLease("k", "me"));
        operations.put("invalidate a scope", () -> store.scopeStamps().invalidate("scope"));
        operations.put("proxy.invalidate", () -> proxy.invalidate("echo", List.of("warm"), Map.of()));
        operations.put("proxy.invalidateMethod", () -> proxy.invalidateMethod("echo"));
        operations.put("proxy.invalidateTag", () -> proxy.invalidateTag("t"));
        operations.put("proxy.invalidateAll", () -> proxy.invalidateAll());
        for (Map.Entry<String, Supplier<CompletableFuture<?>>> op : operations.entrySet()) {
          Throwable failure = catchThrowable(() -> op.getValue().get().join());
          assertThat(failure).as("%s store, %s after close()", e.getKey(), op.getKey()).isInstanceOf(CompletionException.class)
              .cause().isInstanceOf(CacheStoreException.class).hasMessageContaining("is closed");
          assertThat(((CacheStoreException) failure.getCause()).reason()).as("%s, %s", e.getKey(), op.getKey())
              .isEqualTo(CacheStoreException.Reason.CLOSED);
        }
        int before = backend.calls("echo");
        CachedReply reply = proxy.callDetailedAsync("echo", List.of("warm"), Map.of()).join();
        assertThat(reply.source()).as("%s: the call goes to the service, not to what the closed store held", e.getKey())
            .isEqualTo(CachedReply.Source.SERVICE);
        assertThat(backend.calls("echo")).isEqualTo(before + 1);
        if (store instanceof RedisCacheStore) {
          RedisCacheStore redis = (RedisCacheStore) store;
          assertThat(redis.isConnected()).isFalse();
          assertThat(redis.state()).isEqualTo(RedisCacheStore.State.CLOSED);
          assertThat(redis.circuitState()).as("nothing reaches Redis any more").isEqualTo(RedisCacheStore.CircuitState.OPEN);
        }
      }
      assertThat(log.messages("WARN", "is closed")).as("the operator is told why the cache is not used")
          .anyMatch(m -> m.contains(backend.name));
    }
  }
}
