package io.github.nameko4j.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** README's command for the Spring Boot example, run as written: nothing installed, exit 0. */
class ExampleJarIT {

  @Test
  void theExampleRunsOnItsEmbeddedBrokerAndFailsOverToTheCache() throws Exception {
    Path jar = Path.of("target", "nameko-spring-example.jar");
    assertThat(jar).exists();
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString())
        .redirectErrorStream(true);
    pb.environment().remove("NAMEKO4J_AMQP_URI");
    Process p = pb.start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(text).isZero();
    assertThat(text).contains("from service {item=kiwi, units=42, answer=1}")
        .contains("from cache   {item=kiwi, units=42, answer=2}  [TimeoutException]")
        .doesNotContain("Exception in thread");
  }
}
