package io.github.nameko4j.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A Java process a test or benchmark starts, as users run a service: its own JVM, found ready by a
 * line it prints. Its standard output and error are read (the last lines kept for error messages)
 * so it never blocks on a full pipe; closing its standard input and then terminating it stops it.
 */
public final class ChildJvm implements AutoCloseable {
  private static final int KEPT_LINES = 40;

  private final Process process;
  private final String name;
  private final Deque<String> lastLines = new ArrayDeque<>();
  private final CountDownLatch ready = new CountDownLatch(1);

  private ChildJvm(String name, List<String> command, String readyLine) throws IOException {
    this.name = name;
    this.process = new ProcessBuilder(command).redirectErrorStream(true).start();
    Thread reader = new Thread(() -> read(readyLine), "child-jvm-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** The command that runs {@code mainClass} with this JVM's executable and class path. */
  public static List<String> mainClass(Class<?> mainClass, String... args) {
    List<String> command = new ArrayList<>(List.of(javaExecutable(), "-cp", System.getProperty("java.class.path"),
        mainClass.getName()));
    command.addAll(List.of(args));
    return command;
  }

  /** The command that runs an executable jar with this JVM's executable. */
  public static List<String> jar(Path jar, String... args) {
    List<String> command = new ArrayList<>(List.of(javaExecutable(), "-jar", jar.toString()));
    command.addAll(List.of(args));
    return command;
  }

  private static String javaExecutable() {
    return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /**
   * Starts {@code command} and waits until it prints a line containing {@code readyLine}; fails
   * with its last lines if it exits or stays silent for {@code within}.
   */
  public static ChildJvm start(String name, List<String> command, String readyLine, Duration within) throws IOException,
      InterruptedException {
    ChildJvm child = new ChildJvm(name, command, readyLine);
    long deadline = System.nanoTime() + within.toNanos();
    while (!child.ready.await(100, TimeUnit.MILLISECONDS)) {
      if (!child.process.isAlive() || System.nanoTime() > deadline) {
        child.close();
        throw new IllegalStateException(name + " did not print '" + readyLine + "' within " + within.toSeconds() + " s ("
            + (child.process.isAlive() ? "still running" : "exit " + child.process.exitValue()) + "); its last lines:\n"
            + child.lastLines());
      }
    }
    return child;
  }

  private void read(String readyLine) {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        synchronized (lastLines) {
          lastLines.addLast(line);
          if (lastLines.size() > KEPT_LINES) {
            lastLines.removeFirst();
          }
        }
        if (line.contains(readyLine)) {
          ready.countDown();
        }
      }
    } catch (IOException e) {
      // the process is gone
    }
  }

  /** What it printed last, for a failure message. */
  public String lastLines() {
    synchronized (lastLines) {
      return String.join("\n", lastLines);
    }
  }

  public long pid() {
    return process.pid();
  }

  /** CPU time (user + system) the process has used so far, or 0 where the platform does not say. */
  public long cpuNanos() {
    return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // it may already be gone
    }
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
