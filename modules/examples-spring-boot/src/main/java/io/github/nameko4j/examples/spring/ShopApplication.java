package io.github.nameko4j.examples.spring;

import io.github.nameko4j.test.InProcessBroker;
import io.github.nameko4j.spring.EnableNamekoClients;
import java.util.Arrays;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Spring Boot application that hosts two nameko services, {@code inventory} and {@code shop},
 * where {@code shop} calls {@code inventory} through a cached typed client ({@link Inventory}), then
 * tells what happened while {@code inventory} was healthy and then slow ({@link Story}).
 *
 * <p>{@code java -jar nameko-spring-example.jar} runs it on an embedded AMQP broker; with {@code
 * --nameko4j.amqp.uri=amqp://...} (and {@code --nameko4j.cache.redis.uri=redis://...}) on real
 * services.
 */
@SpringBootApplication
@EnableNamekoClients
public class ShopApplication {

  public static void main(String[] args) {
    boolean configured = Arrays.stream(args).anyMatch(a -> a.startsWith("--nameko4j.amqp.uri="))
        || System.getenv("NAMEKO4J_AMQP_URI") != null;
    InProcessBroker broker = configured ? null : InProcessBroker.start();
    SpringApplication app = new SpringApplication(ShopApplication.class);
    if (broker != null) {
      app.setDefaultProperties(Map.of("nameko4j.amqp.uri", broker.uri()));
    }
    int code;
    try (ConfigurableApplicationContext context = app.run(args)) {
      code = context.getBean(Story.class).told() ? 0 : 1;
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
    System.exit(code);
  }
}
