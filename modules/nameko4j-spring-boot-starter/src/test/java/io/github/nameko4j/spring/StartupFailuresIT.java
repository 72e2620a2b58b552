package io.github.nameko4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;

/**
 * A setting the application cannot start with gets Spring Boot's "APPLICATION FAILED TO START"
 * summary naming the property, its value (password hidden) and where it was set, instead of
 * 96-122 lines of nested BeanCreationExceptions; a password holding a raw '@' is named as such
 * (it used to read "it has no host"), and a failover timeout on a cache-first client names the
 * service and the property.
 */
@ExtendWith(TestServicesExtension.class)
class StartupFailuresIT {

  /**
   * What the application printed while failing to start. Spring Boot sets its logging up anew
   * when the application starts (an appender added before is dropped) and its console appender
   * writes to System.out as it finds it then: the test swaps that in first.
   */
  private static synchronized String failureReport(Map<String, Object> properties) {
    PrintStream original = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(new TeeOutputStream(original, printed), true, StandardCharsets.UTF_8));
    try {
      Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(TestApp.class).web(WebApplicationType.NONE)
          .properties(properties).run().close());
      assertThat(failure).as("the application did not start").isNotNull();
    } finally {
      System.setOut(original);
    }
    return printed.toString(StandardCharsets.UTF_8);
  }

  /** Writes to both. */
  private static final class TeeOutputStream extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    TeeOutputStream(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int c) throws IOException {
      a.write(c);
      b.write(c);
    }

    @Override
    public void write(byte[] bytes, int off, int len) throws IOException {
      a.write(bytes, off, len);
      b.write(bytes, off, len);
    }
  }

  @Test
  void aBrokerUriWithARawAtSignNamesTheFileLineAndProblem() {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String report = failureReport(Map.of("spring.config.location", "classpath:bad-uri.properties", "test.greeter", "greeter_" + id,
        "test.inventory", "inventory_" + id));
    assertThat(report).contains("APPLICATION FAILED TO START", "Setting:  nameko4j.amqp.uri",
        "Value:    amqp://guest:***@localhost:5672/", "Origin:   class path resource [bad-uri.properties] - 3:19",
        "the user name or password holds an '@', which must be percent-encoded as %40", "Action:")
        .doesNotContain("p@ss", "no host", "\tat "); // a summary: no stack trace
  }

  @Test
  void aFailoverTimeoutOnACacheFirstClientNamesTheServiceAndTheProperty() {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String inventory = "inventory_" + id;
    String report = failureReport(Map.of("nameko4j.amqp.uri", TestServices.get().amqpUri(), "test.greeter", "greeter_" + id,
        "test.inventory", inventory,
        "nameko4j.cache.services[" + inventory + "].methods[stamp].failover-timeout", "1s",
        "nameko4j.cache.services[" + inventory + "].mode", "CACHE_FIRST"));
    assertThat(report).contains("APPLICATION FAILED TO START", "Setting:  nameko4j.cache.services." + inventory,
        "failoverTimeout does nothing on a CacheFirstRpcProxy", "of service " + inventory,
        "nameko4j.cache.services[" + inventory + "]", "Action:", ".mode");
  }

  @Test
  void everyStartupFailureOfTheStarterIsSummarizedNotOnlyUris() {
    List<String> missingRedis = List.of("nameko4j.cache.store", "needs to know where Redis is");
    String id = UUID.randomUUID().toString().substring(0, 8);
    String report = failureReport(Map.of("nameko4j.amqp.uri", TestServices.get().amqpUri(), "test.greeter", "greeter_" + id,
        "test.inventory", "inventory_" + id, "nameko4j.cache.store", "redis"));
    assertThat(report).contains("APPLICATION FAILED TO START").contains(missingRedis);
  }
}
