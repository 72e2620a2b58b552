package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Virtual-thread callers (Java 21+). The build targets Java 17, so the scenario runs in a child
 * JVM of Java 21 or later: {@code JAVA21_HOME} if set, else the newest JDK 21+ under {@code
 * /usr/lib/jvm}. Without one the test fails saying how to give it one (README, "Tests").
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
    Path java = java21().resolve("bin/java");
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

  /** A JDK of Java 21 or later. */
  static Path java21() throws IOException {
    String configured = System.getenv("JAVA21_HOME");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    if (Runtime.version().feature() >= 21) {
      return Path.of(System.getProperty("java.home"));
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (Stream<Path> dirs = Files.list(jvms)) {
        Path best = null;
        int bestVersion = 0;
        for (Path dir : (Iterable<Path>) dirs::iterator) {
          int v = featureVersion(dir);
          if (v >= 21 && v > bestVersion && Files.isExecutable(dir.resolve("bin/java"))) {
            best = dir;
            bestVersion = v;
          }
        }
        if (best != null) {
          return best;
        }
      }
    }
    throw new AssertionError("this test needs a JDK 21 or later for virtual threads: set JAVA21_HOME to one"
        + " (the build itself runs on Java 17)");
  }

  private static int featureVersion(Path jdk) {
    try {
      for (String line : Files.readAllLines(jdk.resolve("release"))) {
        if (line.startsWith("JAVA_VERSION=")) {
          String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
          return Integer.parseInt(v.split("[.+-]")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not a JDK
    }
    return 0;
  }
}
