package io.github.nameko4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.InMemoryCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.TestServices;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** An application configured by properties alone: it hosts a service and calls it through an injected client. */
@SpringBootTest(classes = TestApp.class, properties = "spring.application.name=props_app")
class PropertiesOnlyIT {
  static final String GREETER = "greeter_" + UUID.randomUUID().toString().substring(0, 8);

  @DynamicPropertySource
  static void broker(DynamicPropertyRegistry registry) {
    registry.add("nameko4j.amqp.uri", () -> TestServices.get().amqpUri());
    registry.add("test.greeter", () -> GREETER);
    registry.add("test.inventory", () -> "inventory_unused_" + GREETER);
  }

  @AfterAll
  static void cleanUp(@Autowired ConfigurableApplicationContext context) {
    // Stop hosting first: a hosted service whose queue is deleted declares it again (it heals).
    // The context stays in Spring's cache, stopped, as Spring leaves contexts it pauses.
    context.stop();
    Queues.deleteServiceQueues(TestServices.get().amqpUri(), GREETER);
  }

  @Autowired
  TestApp.GreeterClient greeter;

  @Autowired
  NamekoRpcClient client;

  @Autowired
  CacheStore store;

  @Test
  void aHostedServiceAnswersAPlainClientAndTheInjectedOne() {
    try (NamekoRpcClient outsider = NamekoRpcClient.builder().uri(TestServices.get().amqpUri()).build()) {
      assertThat(outsider.call(GREETER, "hello", "python")).isEqualTo("hello python");
    }
    assertThat(greeter.hello("spring")).isEqualTo("hello spring");
    assertThat(client.toString()).contains("caller=props_app"); // the application's name is the caller's
    assertThat(store).isInstanceOf(InMemoryCacheStore.class); // no Redis configured: in process
  }
}
