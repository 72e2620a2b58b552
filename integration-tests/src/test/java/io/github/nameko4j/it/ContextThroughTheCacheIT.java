package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.rpc.RpcContext;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A Java service calling its target through a caching proxy over Redis: the target sees the
 * caller's context (call id stack, auth token, language) whichever thread made the RPC.
 */
@ExtendWith(TestServicesExtension.class)
class ContextThroughTheCacheIT {

  /** Tells what context each request arrived with. */
  public static class Target {
    @Rpc
    public Map<String, Object> whoami(String x) {
      RpcContext context = RpcContext.current().orElseThrow();
      Map<String, Object> seen = new LinkedHashMap<>();
      seen.put("x", x);
      seen.put("stack", context.callIdStack());
      seen.put("auth_token", context.get("auth_token"));
      seen.put("language", context.get("language"));
      return seen;
    }
  }

  /** Calls the target through both proxies, from inside its own rpc methods. */
  public static class Front {
    final CacheFirstRpcProxy first;
    final CachedRpcProxy cached;

    Front(CacheFirstRpcProxy first, CachedRpcProxy cached) {
      this.first = first;
      this.cached = cached;
    }

    @Rpc
    public Object viaCacheFirst(String x) {
      return first.call("whoami", x);
    }

    @Rpc
    public Object viaCached(String x) {
      return cached.call("whoami", x);
    }
  }

  @Test
  void theTargetSeesTheCallersContextThroughEitherProxyOverRedis(TestServices services) {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String target = "ctx_target_" + id;
    String front = "ctx_front_" + id;
    try (NamekoRpcServer targetServer = NamekoRpcServer.builder().uri(services.amqpUri()).service(target, new Target()).start();
        NamekoRpcClient frontRpc = NamekoRpcClient.builder().uri(services.amqpUri()).callerName(front).build();
        RedisCacheStore store = RedisCacheStore.builder(front).uri(services.redisUri()).build();
        NamekoRpcServer frontServer = NamekoRpcServer.builder().uri(services.amqpUri()).service(front, new Front(
            CacheFirstRpcProxy.builder(frontRpc).service(target).store(store).build(),
            CachedRpcProxy.builder(frontRpc).service(target).store(store).build())).start();
        NamekoRpcClient user = NamekoRpcClient.builder().uri(services.amqpUri())
            .contextData("auth_token", "tok-123").contextData("language", "fr").build()) {
      for (String method : new String[] {"via_cache_first", "via_cached"}) {
        for (int i = 0; i < 10; i++) {
          Map<?, ?> seen = (Map<?, ?>) user.call(front, method, method + "-" + i); // a miss every time
          assertThat(seen.get("auth_token")).as("%s %d", method, i).isEqualTo("tok-123");
          assertThat(seen.get("language")).as("%s %d", method, i).isEqualTo("fr");
          List<?> stack = (List<?>) seen.get("stack");
          assertThat(stack).as("%s %d", method, i).hasSize(3);
          assertThat(stack.get(0).toString()).startsWith(NamekoRpcClient.DEFAULT_CALLER_NAME + ".call.");
          assertThat(stack.get(1).toString()).startsWith(front + "." + method + ".");
          assertThat(stack.get(2).toString()).startsWith(target + ".whoami.");
        }
      }
      CacheFirstRpcProxy.builder(frontRpc).service(target).store(store).build().invalidateAll().join();
    } finally {
      Fixture.deleteQueues(services.amqpUri(), target, front);
    }
  }
}
