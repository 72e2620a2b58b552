package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.testsupport.Jdks;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Virtual-thread callers (Java 21+). The build targets Java 17, so the scenario runs in a child
 * JVM of Java 21 or later: {@code JAVA21_HOME} if set, else the newest JDK 21+ under {@code
 * /usr/lib/jvm}. Without one the test fails saying how to give it one (docs/testing.md).
 */
@ExtendWith(TestServicesExtension.class)
class VirtualThreadCallersIT {

  @Test
  void interruptingAVirtualThreadCallerWhileTcpPushesBackFailsNoOtherCallersCall(TestServices services) throws Exception {
    List<String> results = run(VirtualThreadInterruptScenario.class.getName(), services.amqpUri());
    assertThat(results).filteredOn(l -> l.startsWith("bystander")).hasSize(5).allMatch(l -> l.startsWith("bystander ok"));
    assertThat(results).contains("client connected true");
  }

  /** Runs {@code mainClass} on a Java 21+ JVM with this test's class path; its {@code RESULT} lines. */
  static List<String> run(String mainClass, String... args) throws IOException, InterruptedException {
    Path java = Jdks.javaAtLeast(21);
    List<String> command = new ArrayList<>(List.of(java.toString(), "-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("vthreads", ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      if (!p.waitFor(3, TimeUnit.MINUTES)) {
        throw new AssertionError("the scenario did not finish within 3 minutes:\n" + Files.readString(out));
      }
      String output = Files.readString(out, StandardCharsets.UTF_8);
      List<String> results = new ArrayList<>();
      for (String line : output.split("\n")) {
        if (line.startsWith("RESULT ")) {
          results.add(line.substring("RESULT ".length()));
        }
      }
      assertThat(p.exitValue()).as("scenario exit code; output:\n" + output).isZero();
      return results;
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(out);
    }
  }
}
