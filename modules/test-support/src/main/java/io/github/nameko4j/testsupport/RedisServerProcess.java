package io.github.nameko4j.testsupport;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@code redis-server} a test owns: on a free loopback port, in its own directory, killed by
 * {@link #close()} (and at JVM exit at the latest). For fault tests that must not touch the shared
 * Redis.
 */
public final class RedisServerProcess implements AutoCloseable {
  private final int port;
  private final List<String> extraArgs;
  private final Path dir;
  private boolean tls;
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

  /**
   * Starts a TLS-only redis-server ({@code --port 0}, TLS on {@link #port()}) with a CA and a
   * server certificate for 127.0.0.1 made here with openssl; {@link #caCertificate()} is the CA.
   */
  public static RedisServerProcess startTls() {
    try {
      RedisServerProcess server = new RedisServerProcess(freePort(), List.of());
      server.tls = true;
      Path d = server.dir;
      Files.writeString(d.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
      run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/ca.key", "-out", d + "/ca.crt",
          "-days", "1", "-subj", "/CN=nameko4j-test-ca"));
      run(List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/server.key", "-out", d + "/server.csr",
          "-subj", "/CN=127.0.0.1"));
      run(List.of("openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key",
          "-CAcreateserial", "-out", d + "/server.crt", "-days", "1", "-extfile", d + "/ext.cnf"));
      if (!Files.exists(d.resolve("server.crt"))) {
        throw new ServiceUnavailableError("openssl could not make a test certificate in " + d);
      }
      server.startProcess();
      return server;
    } catch (IOException e) {
      throw new ServiceUnavailableError("cannot start a TLS redis-server: " + e.getMessage());
    }
  }

  /** The CA certificate (PEM) of a {@link #startTls()} server. */
  public File caCertificate() {
    return dir.resolve("ca.crt").toFile();
  }

  /**
   * A free loopback port for a server a test starts, taken below the kernel's ephemeral range: a
   * port the kernel handed out (as {@code new ServerSocket(0)} does) may be given again at once to
   * some client's outgoing connection, and the server then fails with "address in use". Never the
   * same port twice in one JVM.
   */
  public static int freePort() throws IOException {
    int low = 10_000;
    int high = Math.min(ephemeralLow() - 1, 30_000);
    if (high - low < 1000) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        return socket.getLocalPort();
      }
    }
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = low + RANDOM.nextInt(high - low);
      if (!HANDED_OUT.add(port)) {
        continue;
      }
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException e) {
        // taken: try another
      }
    }
    throw new IOException("no free port between " + low + " and " + high);
  }

  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
  private static final Random RANDOM = new Random();

  /** The first port of the kernel's ephemeral range (Linux), or 32768. */
  private static int ephemeralLow() {
    try {
      return Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32768;
    }
  }

  private void startProcess() throws IOException {
    List<String> command = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no"));
    if (tls) {
      command.addAll(List.of("--port", "0", "--tls-port", String.valueOf(port), "--tls-cert-file", dir + "/server.crt",
          "--tls-key-file", dir + "/server.key", "--tls-ca-cert-file", dir + "/ca.crt", "--tls-auth-clients", "no"));
    }
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
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
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

  /** Freezes the server (SIGSTOP): connections stay open, nothing answers, as a hung Redis. */
  public void pause() {
    run(List.of("kill", "-STOP", String.valueOf(process.pid())));
  }

  /** Thaws a {@link #pause()}d server (SIGCONT). */
  public void resume() {
    run(List.of("kill", "-CONT", String.valueOf(process.pid())));
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
      return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
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

  /** Kills the server and deletes its directory (its log, certificates, config). */
  @Override
  public void close() {
    kill();
    deleteTree(dir);
  }

  /** Deletes {@code dir} and what it holds; best effort (a test's scratch space). */
  public static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // left for the OS to clean: nothing depends on it
    }
  }
}
