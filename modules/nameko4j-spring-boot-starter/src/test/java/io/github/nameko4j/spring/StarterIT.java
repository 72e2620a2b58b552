package io.github.nameko4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.cachetools.CacheControl;
import io.github.nameko4j.cachetools.KryoValueCodec;
import io.github.nameko4j.cachetools.MicrometerCacheMetrics;
import io.github.nameko4j.cachetools.internal.CacheKeys;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.springextra.OwnClient;
import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.RedisServerProcess;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestTracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The starter as applications use it: clients, hosting, properties, replacement, shutdown, health. */
class StarterIT {
  private final String id = UUID.randomUUID().toString().substring(0, 8);
  private final String greeter = "greeter_" + id;
  private final String inventory = "inventory_" + id;
  private final String amqp = TestServices.get().amqpUri();

  @AfterEach
  void cleanUp() {
    Queues.deleteServiceQueues(amqp, greeter, inventory);
  }

  private Map<String, Object> properties() {
    Map<String, Object> p = new HashMap<>();
    p.put("nameko4j.amqp.uri", amqp);
    p.put("test.greeter", greeter);
    p.put("test.inventory", inventory);
    p.put("spring.application.name", "starter_" + id);
    return p;
  }

  private static ConfigurableApplicationContext start(Map<String, Object> properties, Class<?>... sources) {
    Class<?>[] all = new Class<?>[sources.length + 1];
    all[0] = TestApp.class;
    System.arraycopy(sources, 0, all, 1, sources.length);
    return new SpringApplicationBuilder(all).web(WebApplicationType.NONE).properties(properties).run();
  }

  @Test
  void anInjectedCachingClientFailsOverWhenItsTargetStops() {
    Inventory target = new Inventory();
    NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(inventory, target).start();
    try (ConfigurableApplicationContext app = start(properties())) {
      TestApp.InventoryClient client = app.getBean(TestApp.InventoryClient.class);
      List<Object> first = client.stamp("kiwi");
      assertThat(first).containsExactly("kiwi", 1);
      server.close(); // its queue stays, nobody consumes: the 300 ms failover answers
      assertThat(client.stamp("kiwi")).isEqualTo(first);
      assertThat(target.calls).hasValue(1);
    } finally {
      server.close();
    }
  }

  @Test
  void perMethodPoliciesComeFromPropertiesAndBeatTheAnnotations() {
    Inventory target = new Inventory();
    Map<String, Object> p = properties();
    p.put("nameko4j.cache.redis.uri", TestServices.get().redisUri());
    p.put("nameko4j.cache.services[" + inventory + "].methods[stamp].ttl", "30s");
    // names match ignoring case, '-' and '_': this is the same service, written as in YAML
    p.put("nameko4j.cache.services." + inventory.replace('_', '-') + ".defaults.ttl", "5m");
    RedisClient redis = RedisClient.create(TestServices.get().redisUri());
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(inventory, target).start();
        ConfigurableApplicationContext app = start(p);
        var connection = redis.connect()) {
      RedisCacheStore store = app.getBean(RedisCacheStore.class);
      TestApp.InventoryLookups lookups = app.getBean(TestApp.InventoryLookups.class);
      List<Object> first = lookups.stamp("plum");
      assertThat(lookups.stamp("plum")).isEqualTo(first); // cache first: one call
      assertThat(target.calls).hasValue(1);
      lookups.other("plum");
      String codec = KryoValueCodec.create().id() + ":";
      String stampKey = store.redisKey(codec + CacheKeys.derive(inventory, "stamp", List.of("plum"), Map.of()));
      String otherKey = store.redisKey(codec + CacheKeys.derive(inventory, "other", List.of("plum"), Map.of()));
      await().atMost(Duration.ofSeconds(5)).until(() -> connection.sync().exists(stampKey, otherKey) == 2);
      assertThat(connection.sync().pttl(stampKey)).isBetween(25_000L, 30_000L); // the method's property
      assertThat(connection.sync().pttl(otherKey)).isBetween(290_000L, 300_000L); // the service's default property
      assertThat(store.redisKey("")).startsWith("nameko4j:starter_" + id + ":"); // namespace: the application's name
      lookups.stamp("plum");
      CacheControl.of(lookups).invalidateAll().join();
    } finally {
      redis.shutdown();
    }
  }

  @Test
  void anApplicationsOwnBeansReplaceTheStartersAndABadSettingFailsAtStart() {
    try (ConfigurableApplicationContext app = start(properties(), OwnClient.class)) {
      assertThat(app.getBeansOfType(NamekoRpcClient.class)).containsOnlyKeys("myClient");
      assertThat(app.getBean(TestApp.GreeterClient.class).hello("me")).isEqualTo("hello me");
    }
    Map<String, Object> bad = properties();
    bad.put("nameko4j.cache.services[" + inventory + "].methods[stamp].failover-timeout", "1s");
    bad.put("nameko4j.cache.services[" + inventory + "].mode", "CACHE_FIRST");
    // At start, even for a client no bean injects: a context that starts would host its services
    // with a client that fails at its first use.
    assertThatThrownBy(() -> start(bad).close())
        .hasRootCauseInstanceOf(IllegalStateException.class)
        .rootCause().hasMessageContaining("failoverTimeout does nothing on a CacheFirstRpcProxy");
  }

  @Test
  void shutdownFinishesACallInFlightAndLeavesOneThatCannotFinishToAnotherReplica() throws Exception {
    Map<String, Object> p = properties();
    p.put("spring.lifecycle.timeout-per-shutdown-phase", "3s");
    try (NamekoRpcClient caller = NamekoRpcClient.builder().uri(amqp).callTimeout(Duration.ofSeconds(60)).build()) {
      ConfigurableApplicationContext app = start(p);
      TestApp.Greeter hosted = app.getBean(TestApp.Greeter.class);
      await().atMost(Duration.ofSeconds(10)).until(() -> "hello x".equals(caller.call(greeter, "hello", "x")));
      CompletableFuture<Object> finishes = caller.callAsync(greeter, "slow", List.of(1.0, "short"), Map.of());
      CompletableFuture<Object> tooLong = caller.callAsync(greeter, "slow", List.of(20.0, "long"), Map.of());
      await().atMost(Duration.ofSeconds(10)).until(() -> hosted.started.containsAll(List.of("short", "long")));
      TestApp.Greeter other = new TestApp.Greeter();
      app.close(); // the graceful phase: 3 s
      assertThat(finishes.get(10, TimeUnit.SECONDS)).isEqualTo("slow short");
      assertThat(hosted.handled).contains("short");
      try (NamekoRpcServer replica = NamekoRpcServer.builder().uri(amqp).service(greeter, other).start()) {
        assertThat(tooLong.get(40, TimeUnit.SECONDS)).isEqualTo("slow long"); // redelivered to the other replica
        assertThat(other.handled).containsExactly("long");
      }
    }
  }

  /** Metrics go to the application's registry. */
  @Configuration(proxyBeanMethods = false)
  static class WithMeters {
    @Bean
    MeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }
  }

  /** The application's observation registry, with tracing. */
  @Configuration(proxyBeanMethods = false)
  static class WithTracing {
    @Bean(destroyMethod = "close")
    TestTracing tracing() {
      return new TestTracing();
    }

    @Bean
    ObservationRegistry observationRegistry(TestTracing tracing) {
      return tracing.registry();
    }
  }

  @Test
  void callsRequestsAndCachingProxiesAreTracedWithTheApplicationsObservationRegistry() {
    Inventory target = new Inventory();
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(inventory, target).start();
        ConfigurableApplicationContext app = start(properties(), WithTracing.class)) {
      TestTracing tracing = app.getBean(TestTracing.class);
      assertThat(app.getBean(TestApp.GreeterClient.class).hello("ann")).isEqualTo("hello ann");
      app.getBean(TestApp.InventoryClient.class).stamp("kiwi");
      // Spans are exported as they end; a client's ends once the reply reached it: wait for the ones read below.
      await().atMost(Duration.ofSeconds(10)).until(() -> tracing.spanNames().containsAll(
          List.of(greeter + ".hello send", greeter + ".hello process", inventory + ".stamp cache", inventory + ".stamp send")));
      Map<String, SpanData> byName = new HashMap<>();
      tracing.spans().forEach(s -> byName.put(s.getName(), s));
      SpanData send = byName.get(greeter + ".hello send");
      SpanData process = byName.get(greeter + ".hello process");
      assertThat(send).isNotNull();
      assertThat(process).isNotNull();
      assertThat(process.getParentSpanId()).isEqualTo(send.getSpanId()); // the hosted service continued the client's trace
      SpanData cache = byName.get(inventory + ".stamp cache");
      assertThat(cache).isNotNull();
      assertThat(byName.get(inventory + ".stamp send").getParentSpanId()).isEqualTo(cache.getSpanId());
    }
  }

  @Test
  void healthIsDownWhileRedisIsDownAndCallsAreStillAnswered() {
    Inventory target = new Inventory();
    try (RedisServerProcess redis = RedisServerProcess.start();
        NamekoRpcServer server = NamekoRpcServer.builder().uri(amqp).service(inventory, target).start()) {
      Map<String, Object> p = properties();
      p.put("nameko4j.cache.redis.uri", redis.uri());
      try (ConfigurableApplicationContext app = start(p, WithMeters.class)) {
        HealthIndicator storeHealth = app.getBean("nameko4jCacheStoreHealthIndicator", HealthIndicator.class);
        HealthIndicator brokerHealth = app.getBean("nameko4jBrokerHealthIndicator", HealthIndicator.class);
        TestApp.InventoryLookups lookups = app.getBean(TestApp.InventoryLookups.class);
        assertThat(lookups.stamp("fig")).containsExactly("fig", 1);
        assertThat(storeHealth.health().getStatus()).isEqualTo(Status.UP);
        await().atMost(Duration.ofSeconds(10)).until(() -> brokerHealth.health().getStatus().equals(Status.UP));
        assertThat(app.getBean(MicrometerCacheMetrics.class)).isNotNull();
        assertThat(app.getBean(MeterRegistry.class).find("nameko4j.cache.misses").counter()).isNotNull();

        redis.kill();
        for (int i = 0; i < 20; i++) {
          assertThat(lookups.stamp("new-" + i)).first().isEqualTo("new-" + i); // answered by the service
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> storeHealth.health().getStatus().equals(Status.DOWN));
        assertThat(storeHealth.health().getDetails()).containsEntry("calls", "answered by the services, without the cache");
      }
    }
  }
}
