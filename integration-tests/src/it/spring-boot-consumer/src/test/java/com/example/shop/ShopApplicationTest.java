package com.example.shop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

/** The application starts and answers, or (Boot's BOM first) fails at once saying why and what to do. */
class ShopApplicationTest {

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  @Test
  void startsAndAnswersOrSaysWhichVersionToFix() {
    String service = "boot_consumer_" + UUID.randomUUID().toString().substring(0, 8);
    String[] args = {"--nameko4j.amqp.uri=" + env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672"), "--shop.service=" + service};
    SpringApplication app = new SpringApplication(ShopApplication.class);
    app.setWebApplicationType(WebApplicationType.NONE);
    if (Boolean.getBoolean("expect.start")) {
      try (ConfigurableApplicationContext context = app.run(args)) {
        assertThat(context.getBean(ShopApplication.GreeterClient.class).hello("maven")).isEqualTo("hello maven");
      }
      deleteQueue("rpc-" + service); // durable: it would outlive the test on the shared broker
      return;
    }
    PrintStream original = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    Throwable failure;
    try {
      failure = catchThrowable(() -> app.run(args).close());
    } finally {
      System.setOut(original);
    }
    String report = printed.toString(StandardCharsets.UTF_8);
    original.println(report);
    assertThat(failure).as("the application must not start with Boot's amqp-client").isNotNull();
    assertThat(report).contains("APPLICATION FAILED TO START", "com.rabbitmq:amqp-client", "5.27",
        "Import io.github.nameko4j:nameko4j-bom before org.springframework.boot:spring-boot-dependencies");
  }

  private static void deleteQueue(String queue) {
    try {
      ConnectionFactory f = new ConnectionFactory();
      f.setUri(env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672"));
      try (Connection c = f.newConnection(); Channel ch = c.createChannel()) {
        ch.queueDelete(queue);
      }
    } catch (Exception e) {
      // best effort
    }
  }
}
