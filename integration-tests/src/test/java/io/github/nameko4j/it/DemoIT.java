package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.examples.Demo;
import io.github.nameko4j.testsupport.RedisServerProcess;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The README's first command, checked on what the demo reports, in both modes. */
@ExtendWith(TestServicesExtension.class)
class DemoIT {

  private static List<Demo.Row> step(Demo.Report report, int step, String method) {
    return report.rows().stream().filter(r -> r.step() == step && r.method().equals(method)).collect(Collectors.toList());
  }

  private static Map<String, Demo.Row> firstPerReplica(List<Demo.Row> rows) {
    Map<String, Demo.Row> first = new LinkedHashMap<>();
    rows.forEach(r -> first.putIfAbsent(r.replica(), r));
    return first;
  }

  /** What must hold in both modes. */
  private static void checkStory(Demo.Report report) {
    assertThat(step(report, 1, "do_something")).isNotEmpty().allMatch(r -> r.source().equals("service"));
    assertThat(step(report, 1, "do_something").stream().map(Demo.Row::replica).distinct()).containsExactlyInAnyOrder("A", "B");
    // slow service: answered from the cache after the 500 ms failover timeout, not after 3 s
    List<Demo.Row> slow = step(report, 2, "do_something");
    assertThat(slow).hasSize(2).allSatisfy(r -> {
      assertThat(r.source()).isEqualTo("cache");
      assertThat(r.millis()).isLessThan(2000L); // the failover timer, not the 2 s call timeout
      // One answered at once (the key had just failed over) says so rather than blame a timer it never waited for.
      assertThat(r.because()).isIn("no answer within 500 ms", "too slow on an earlier call: answered at once, not asked again yet");
      if (r.millis() < 500) {
        assertThat(r.because()).isEqualTo("too slow on an earlier call: answered at once, not asked again yet");
      }
    });
    // The first call on each replica waited for the service first. A second call on the same replica
    // (the broker does not always alternate) joins the call still in flight, which already failed
    // over: it may answer at once.
    assertThat(firstPerReplica(slow).values()).allSatisfy(r -> assertThat(r.millis()).isGreaterThanOrEqualTo(450L))
        .allSatisfy(r -> assertThat(r.because()).isEqualTo("no answer within 500 ms"));
    assertThat(step(report, 2, "lookup")).allMatch(r -> r.source().equals("cache"));
    // stopped service: cached arguments still answered, a new one fails after the call timeout
    List<Demo.Row> stopped = step(report, 3, "do_something");
    assertThat(stopped).filteredOn(r -> r.argument().equals("hi")).hasSize(2).allMatch(r -> r.source().equals("cache"));
    assertThat(stopped).filteredOn(r -> r.argument().equals("never-asked")).singleElement()
        .satisfies(r -> assertThat(r.reply()).startsWith("RpcTimeoutException"))
        .satisfies(r -> assertThat(r.source()).isEqualTo("error"));
    assertThat(step(report, 3, "lookup")).allMatch(r -> r.source().equals("cache"));
  }

  @Test
  void embeddedModeTellsTheWholeStoryWithNothingInstalled() {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Demo.Report report = Demo.run(null, null, new PrintStream(text, true, StandardCharsets.UTF_8));
    checkStory(report);
    assertThat(report.sharedCache()).isFalse();
    assertThat(report.broker()).startsWith("embedded AMQP broker");
    // without a shared cache, each replica's first lookup had to ask other_service itself
    assertThat(firstPerReplica(step(report, 1, "lookup")).values()).hasSize(2).allMatch(r -> r.source().equals("service"));
    assertThat(text.toString(StandardCharsets.UTF_8)).contains("1. other_service is healthy", "3. other_service stops", "from the cache");
  }

  @Test
  void realServicesModeSharesTheCacheBetweenReplicas(TestServices services) {
    Demo.Report report = Demo.run(services.amqpUri(), services.redisUri(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    checkStory(report);
    assertThat(report.sharedCache()).isTrue();
    // CacheFirst across replicas: the second replica's first lookup was a hit in Redis
    List<Demo.Row> lookups = step(report, 1, "lookup");
    assertThat(lookups).filteredOn(r -> r.source().equals("service")).hasSize(1);
    Map<String, Demo.Row> first = firstPerReplica(lookups);
    assertThat(first).hasSize(2);
    assertThat(first.get(lookups.get(0).replica()).source()).isEqualTo("service");
    assertThat(first.values()).filteredOn(r -> !r.replica().equals(lookups.get(0).replica())).singleElement()
        .satisfies(r -> assertThat(r.source()).isEqualTo("cache"));
  }

  @Test
  void theJarRunsAsTheReadmeSaysAndExitsZero() throws Exception {
    Path jar = Path.of("..", "modules", "examples", "target", "nameko-demo.jar");
    assertThat(jar).exists();
    Path out = Files.createTempFile("demo", ".out");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString())
        .redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().remove("AMQP_URI");
    pb.environment().remove("REDIS_URI");
    Process p = pb.start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String text = Files.readString(out);
    assertThat(p.exitValue()).as(text).isZero();
    assertThat(text).contains("embedded AMQP broker", "replica A", "replica B", "cache", "[no answer within 500 ms]")
        .doesNotContain("Exception in thread", "\tat ", " WARN ");
  }

  @Test
  void theJarSaysWhatIsWrongInOneLineWhenTheBrokerCannotBeReached() throws Exception {
    Path jar = Path.of("..", "modules", "examples", "target", "nameko-demo.jar");
    int closedPort = RedisServerProcess.freePort();
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(),
        "--amqp", "amqp://guest:guest@127.0.0.1:" + closedPort).redirectErrorStream(true);
    Process p = pb.start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(text).isEqualTo(69);
    assertThat(text).contains("connection refused", "docker compose up -d --wait", "--embedded").doesNotContain("\tat ");
    Process help = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(), "--help")
        .redirectErrorStream(true).start();
    assertThat(new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("--embedded", "$AMQP_URI");
    assertThat(help.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(help.exitValue()).isZero();
  }

  @Test
  void aRedisThatCannotBeReachedIsSaidAndNotClaimedShared(TestServices services) throws Exception {
    int closedPort = RedisServerProcess.freePort();
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Demo.Report report = Demo.run(services.amqpUri(), "redis://127.0.0.1:" + closedPort, new PrintStream(text, true, StandardCharsets.UTF_8));
    assertThat(report.sharedCache()).isFalse();
    assertThat(text.toString(StandardCharsets.UTF_8)).contains("could not be reached").doesNotContain("shared one Redis cache");
  }
}
