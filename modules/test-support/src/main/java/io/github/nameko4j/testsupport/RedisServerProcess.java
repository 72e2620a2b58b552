package io.github.nameko4j.testsupport;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} a test owns: on a free loopback port, in its own directory, killed by
 * {@link #close()} (and at JVM exit at the latest). For fault tests that must not touch the shared
 * Redis.
 */
public final class RedisServerProcess implements AutoCloseable {
  private final int port;
  private final List<String> extraArgs;
  private final Path dir;
  private Process process;

  private RedisServerProcess(int port, List<String> extraArgs) throws IOException {
    this.port = port;
    this.extraArgs = List.copyOf(extraArgs);
    this.dir = Files.createTempDirectory("nameko4j-redis-" + port);
  }

  /** Starts a redis-server on a free port with {@code extraArgs} (e.g. {@code --requirepass x}). */
  public static RedisServerProcess start(String... extraArgs) {
    try {
      RedisServerProcess server = new RedisServerProcess(freePort(), List.of(extraArgs));
      server.startProcess();
      return server;
    } catch (IOException e) {
      throw new ServiceUnavailableError("cannot start redis-server (is it installed?): " + e.getMessage());
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private void startProcess() throws IOException {
    List<String> command = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no"));
    command.addAll(extraArgs);
    process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(new File(dir.toFile(), "server.log")).start();
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!isListening()) {
      if (!process.isAlive()) {
        throw new ServiceUnavailableError("redis-server on port " + port + " exited: " + Files.readString(dir.resolve("server.log")));
      }
      if (System.nanoTime() > deadline) {
        throw new ServiceUnavailableError("redis-server on port " + port + " did not answer within 15 s");
      }
      sleep(50);
    }
  }

  private boolean isListening() {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public int port() {
    return port;
  }

  public Path dir() {
    return dir;
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Kills the server (SIGKILL: nothing is flushed, as in a crash). */
  public void kill() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Starts it again on the same port, empty. */
  public void restart() {
    kill();
    try {
      startProcess();
    } catch (IOException e) {
      throw new IllegalStateException("cannot restart redis-server on " + port, e);
    }
  }

  /** Runs {@code redis-cli -p <port> args...} and returns its output. */
  public String cli(String... args) {
    List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(port)));
    command.addAll(List.of(args));
    return run(command);
  }

  static String run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(command + " did not finish within 60 s");
      }
      return new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill();
  }
}
