package io.github.nameko4j.spring.autoconfigure;

import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Actuator health for nameko4j: the broker connection of the client and of each hosted service,
 * and the cache store. A store that is DOWN fails no call (the service answers every call); the
 * indicator says so, so that an operator sees it.
 */
@AutoConfiguration(after = Nameko4jAutoConfiguration.class)
@ConditionalOnClass({HealthIndicator.class, NamekoRpcClient.class})
public class Nameko4jHealthAutoConfiguration {

  /**
   * UP while the client, and every hosted service, is connected to the broker.
   *
   * @param client the RPC client
   * @param host the service host, if any
   * @return the indicator named {@code nameko4jBroker}
   */
  @Bean
  @ConditionalOnMissingBean(name = "nameko4jBrokerHealthIndicator")
  public HealthIndicator nameko4jBrokerHealthIndicator(ObjectProvider<NamekoRpcClient> client, ObjectProvider<NamekoServiceHost> host) {
    return () -> {
      Health.Builder health = Health.up();
      NamekoRpcClient c = client.getIfAvailable();
      boolean up = true;
      if (c != null) {
        health.withDetail("client", c.isConnected() ? "connected" : "reconnecting");
        up = c.isConnected();
      }
      NamekoServiceHost h = host.getIfAvailable();
      if (h != null) {
        for (NamekoRpcServer server : h.servers()) {
          health.withDetail("service " + server.service(), server.isConnected() ? "consuming" : "reconnecting");
          up &= server.isConnected();
        }
      }
      return up ? health.build() : health.down().build();
    };
  }

  /**
   * UP while the cache store answers: for Redis, its {@link RedisCacheStore#state()} is UP, or
   * DEGRADED (some nodes' circuits open: their keys skip the cache; the detail {@code state} says
   * so). DOWN means every call goes to the service, not that calls fail.
   *
   * @param store the cache store
   * @return the indicator named {@code nameko4jCacheStore}
   */
  @Bean
  @ConditionalOnMissingBean(name = "nameko4jCacheStoreHealthIndicator")
  public HealthIndicator nameko4jCacheStoreHealthIndicator(ObjectProvider<CacheStore> store) {
    return () -> {
      CacheStore s = store.getIfAvailable();
      if (!(s instanceof RedisCacheStore)) {
        return Health.up().withDetail("store", s == null ? "none" : s.getClass().getSimpleName()).build();
      }
      RedisCacheStore redis = (RedisCacheStore) s;
      RedisCacheStore.State state = redis.state();
      // DEGRADED (some nodes' keys skip Redis) stays UP: calls succeed, and a custom status would
      // decide the application's aggregate status on its own.
      boolean up = state == RedisCacheStore.State.UP || state == RedisCacheStore.State.DEGRADED;
      Health.Builder health = up ? Health.up() : Health.down();
      return health.withDetail("store", redis.toString())
          .withDetail("state", state.name())
          .withDetail("connected", redis.isConnected())
          .withDetail("circuit", redis.circuitState().name())
          .withDetail("failures", redis.failures())
          .withDetail("timeouts", redis.timeouts())
          .withDetail("skipped", redis.skipped())
          .withDetail("calls", state == RedisCacheStore.State.UP ? "cached"
              : state == RedisCacheStore.State.DEGRADED ? "cached, but keys on some Redis nodes skip the cache"
              : "answered by the services, without the cache")
          .build();
    };
  }
}
