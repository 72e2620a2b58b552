package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.test.FaultyCacheStore;
import io.github.nameko4j.test.InProcessBroker;
import io.github.nameko4j.test.NamekoTestExtension;
import io.github.nameko4j.test.StubService;
import io.github.nameko4j.test.Stubs;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A user's test written with the toolkit alone: no RabbitMQ, no Redis, no Python peer. */
@ExtendWith(NamekoTestExtension.class)
class ToolkitOnlyTest {

  @Test
  void theCachedReplyAnswersWhenTheDependencyFailsEvenWithASlowCache(InProcessBroker broker, Stubs stubs) {
    StubService prices = stubs.start("prices").returns("price_of", 42);
    FaultyCacheStore store = FaultyCacheStore.create();
    try (NamekoRpcClient client = NamekoRpcClient.builder().uri(broker.uri()).build();
        CachedRpcProxy proxy = CachedRpcProxy.builder(client).service("prices").store(store)
            .defaultPolicy(CachePolicy.custom().failoverTimeout(Duration.ofMillis(300)).build()).build()) {
      assertEquals(42, proxy.call("price_of", "kiwi"));
      prices.fails("price_of", "ConnectionError", "database down");
      store.latency(Duration.ofMillis(20));
      CachedReply reply = proxy.callDetailedAsync("price_of", List.of("kiwi"), Map.of()).join();
      assertEquals(CachedReply.Source.CACHE, reply.source());
      assertEquals(42, reply.value());
      assertEquals(2, prices.calls("price_of").size());
    }
  }
}
