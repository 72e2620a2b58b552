package io.github.nameko4j.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A JDK newer than the one the build runs on (Java 17), for tests of what only newer JVMs do
 * (virtual threads, the Unsafe warnings): {@code JAVA<N>_HOME} if set, else this JVM if new
 * enough, else the newest such JDK under {@code /usr/lib/jvm}; fails, saying how to provide
 * one, when there is none.
 */
public final class Jdks {
  private Jdks() {}

  /** The home of a JDK of version {@code feature} or later. */
  public static Path atLeast(int feature) throws IOException {
    String configured = System.getenv("JAVA" + feature + "_HOME");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    if (Runtime.version().feature() >= feature) {
      return Path.of(System.getProperty("java.home"));
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (Stream<Path> dirs = Files.list(jvms)) {
        Path best = null;
        int bestVersion = 0;
        for (Path dir : (Iterable<Path>) dirs::iterator) {
          int v = featureVersion(dir);
          if (v >= feature && v > bestVersion && Files.isExecutable(dir.resolve("bin/java"))) {
            best = dir;
            bestVersion = v;
          }
        }
        if (best != null) {
          return best;
        }
      }
    }
    throw new AssertionError("this test needs a JDK " + feature + " or later: set JAVA" + feature + "_HOME to one"
        + " (the build itself runs on Java 17)");
  }

  /** The {@code java} executable of {@link #atLeast}'s JDK. */
  public static Path javaAtLeast(int feature) throws IOException {
    return atLeast(feature).resolve("bin").resolve("java");
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
