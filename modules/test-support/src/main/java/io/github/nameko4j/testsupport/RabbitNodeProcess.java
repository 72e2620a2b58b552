package io.github.nameko4j.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A RabbitMQ node a test owns, for fault tests that stop, restart or reconfigure a broker: its own
 * node name, AMQP and distribution ports on loopback, data, logs and Erlang cookie under the build
 * directory. The machine's shared broker on 5672 is never touched. {@link #close()} stops the node
 * (and a JVM shutdown hook does, at the latest).
 *
 * <p>Needs {@code rabbitmq-server} and {@code rabbitmqctl} installed locally; if the node does not
 * start within {@link #START_TIMEOUT}, {@link #start} throws a {@link ServiceUnavailableError}
 * saying why (with the tail of the node's log), so the test fails rather than skips.
 */
public final class RabbitNodeProcess implements AutoCloseable {
  public static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration CTL_TIMEOUT = Duration.ofSeconds(60);
  private static final List<String> BIN_DIRS = List.of("/usr/lib/rabbitmq/bin", "/usr/local/lib/rabbitmq/bin", "/usr/sbin", "/usr/local/sbin");

  private final String node;
  private final int port;
  private final int distPort;
  private final Path dir;
  private final Path log;
  private final Thread shutdownHook;
  private volatile Process process;
  private volatile boolean closed;

  private RabbitNodeProcess(String node, int port, int distPort, Path dir, Path log) {
    this.node = node;
    this.port = port;
    this.distPort = distPort;
    this.dir = dir;
    this.log = log;
    this.shutdownHook = new Thread(this::kill, "rabbit-node-cleanup-" + port);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts a node and waits until it speaks AMQP.
   *
   * @param configLines extra {@code rabbitmq.conf} lines, e.g. {@code max_message_size = 1048576}
   */
  public static RabbitNodeProcess start(String... configLines) {
    RabbitNodeProcess node = prepare("NAMEKO4J" + UUID.randomUUID().toString().replace("-", "").toUpperCase(), configLines);
    node.launch();
    return node;
  }

  /** A node's files (its cookie {@code cookie}: nodes of one cluster share theirs), not started yet. */
  static RabbitNodeProcess prepare(String cookie, String... configLines) {
    int port;
    int distPort;
    Path dir;
    try {
      port = RedisServerProcess.freePort();
      distPort = RedisServerProcess.freePort();
      Path base = Path.of(System.getProperty("nameko4j.test.dir", "target")).toAbsolutePath().resolve("rabbit-nodes");
      Files.createDirectories(base);
      dir = Files.createTempDirectory(base, "node-" + port + "-");
    } catch (IOException e) {
      throw new ServiceUnavailableError("cannot prepare a test RabbitMQ node: " + e.getMessage());
    }
    String node = "nameko4j-test-" + port + "@localhost";
    Path log = dir.resolve("console.log");
    try {
      List<String> conf = new ArrayList<>(List.of(
          "listeners.tcp.local = 127.0.0.1:" + port,
          "log.console = false",
          "log.file.level = info"));
      conf.addAll(List.of(configLines));
      Files.writeString(dir.resolve("rabbitmq.conf"), String.join("\n", conf) + "\n");
      Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
      Path home = Files.createDirectories(dir.resolve("home"));
      Path cookieFile = home.resolve(".erlang.cookie");
      Files.writeString(cookieFile, cookie);
      Files.setPosixFilePermissions(cookieFile, PosixFilePermissions.fromString("r--------"));
    } catch (IOException e) {
      throw new ServiceUnavailableError("cannot write the test RabbitMQ node's files in " + dir + ": " + e.getMessage());
    }
    return new RabbitNodeProcess(node, port, distPort, dir, log);
  }

  /**
   * Starts the node's process (again, after {@link #killHard()} or {@link #stop()}: same name, ports
   * and data, so it rejoins its cluster) and waits until it speaks AMQP.
   */
  public void launch() {
    ProcessBuilder pb = new ProcessBuilder(binary("rabbitmq-server")).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Map<String, String> env = pb.environment();
    env.put("HOME", dir.resolve("home").toString());
    env.put("RABBITMQ_NODENAME", node);
    env.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
    env.put("RABBITMQ_NODE_PORT", String.valueOf(port));
    env.put("RABBITMQ_DIST_PORT", String.valueOf(distPort));
    env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString());
    env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
    env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
    env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
    env.put("RABBITMQ_PID_FILE", dir.resolve("node.pid").toString());
    // Ignore the machine's rabbitmq-env.conf: it names the shared node.
    env.put("RABBITMQ_CONF_ENV_FILE", "/dev/null");
    env.put("ERL_EPMD_ADDRESS", "127.0.0.1");
    env.put("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}");
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new ServiceUnavailableError("cannot start rabbitmq-server (is RabbitMQ installed?): " + e.getMessage());
    }
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!speaksAmqp()) {
      if (!process.isAlive()) {
        close();
        throw new ServiceUnavailableError("test RabbitMQ node " + node + " exited while starting:\n" + logTail());
      }
      if (System.nanoTime() > deadline) {
        close();
        throw new ServiceUnavailableError("test RabbitMQ node " + node + " did not answer on 127.0.0.1:" + port
            + " within " + START_TIMEOUT.toSeconds() + " s:\n" + logTail());
      }
      sleep(200);
    }
  }

  /** {@code amqp://guest:guest@127.0.0.1:<port>}. */
  public String amqpUri() {
    return "amqp://guest:guest@127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public String nodeName() {
    return node;
  }

  /** Stops the RabbitMQ application (the node stays up; every connection is closed) and waits. */
  public void stopApp() {
    ctl("stop_app");
  }

  /** Starts the application again and waits until it speaks AMQP. */
  public void startApp() {
    ctl("start_app");
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!speaksAmqp()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("test RabbitMQ node " + node + " did not answer after start_app:\n" + logTail());
      }
      sleep(100);
    }
  }

  /** Runs {@code rabbitmqctl -n <node> <args>} and returns its output. */
  public String ctl(String... args) {
    List<String> command = new ArrayList<>(List.of(binary("rabbitmqctl"), "-n", node));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("HOME", dir.resolve("home").toString());
    pb.environment().put("RABBITMQ_CONF_ENV_FILE", "/dev/null");
    try {
      Process ctl = pb.start();
      ctl.getOutputStream().close();
      if (!ctl.waitFor(CTL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        ctl.destroyForcibly();
        throw new IllegalStateException("rabbitmqctl " + String.join(" ", args) + " on " + node + " did not finish within "
            + CTL_TIMEOUT.toSeconds() + " s");
      }
      String output = new String(ctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (ctl.exitValue() != 0) {
        throw new IllegalStateException("rabbitmqctl " + String.join(" ", args) + " on " + node + " failed: " + output);
      }
      return output;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run rabbitmqctl: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running rabbitmqctl " + String.join(" ", args), e);
    }
  }

  /** True if something on the node's port answers the AMQP 0-9-1 header with connection.start. */
  public boolean speaksAmqp() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
      socket.setSoTimeout(2000);
      OutputStream out = socket.getOutputStream();
      out.write(new byte[] {'A', 'M', 'Q', 'P', 0, 0, 9, 1});
      out.flush();
      InputStream in = socket.getInputStream();
      return in.read() == 1; // a method frame
    } catch (IOException e) {
      return false;
    }
  }

  /** The last lines of the node's log, for failure messages. */
  public String logTail() {
    StringBuilder out = new StringBuilder();
    for (Path file : new Path[] {log, dir.resolve("log").resolve(node + ".log")}) {
      try {
        List<String> lines = Files.readAllLines(file);
        out.append("--- ").append(file).append('\n')
            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()))).append('\n');
      } catch (IOException e) {
        out.append("--- ").append(file).append(": ").append(e.getMessage()).append('\n');
      }
    }
    return out.toString();
  }

  /** Kills the node as a crash would (SIGKILL: no goodbye to its cluster or its clients). */
  public void killHard() {
    Process p = process;
    List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
    tree.forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the node as an operator would (SIGTERM, then SIGKILL after 15 s); {@link #launch()} starts it again. */
  public void stop() {
    kill();
  }

  /** Stops the node (SIGTERM, then SIGKILL after 15 s). Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    kill();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down
    }
  }

  private void kill() {
    Process process = this.process;
    if (process == null) {
      return;
    }
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    process.destroy();
    tree.forEach(ProcessHandle::destroy);
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    tree.forEach(ProcessHandle::destroyForcibly);
  }

  private static String binary(String name) {
    for (String d : BIN_DIRS) {
      Path p = Path.of(d, name);
      // The Debian wrappers in /usr/sbin switch to the rabbitmq user and drop our environment;
      // prefer the real scripts.
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return name;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public String toString() {
    return "RabbitNodeProcess{" + node + ", port " + port + "}";
  }
}
