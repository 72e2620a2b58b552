package io.github.nameko4j.test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import org.apache.qpid.server.SystemLauncher;
import org.apache.qpid.server.model.SystemConfig;

/**
 * An AMQP 0-9-1 broker in this process (Apache Qpid Broker-J, in memory) on a free loopback port:
 * {@code NamekoRpcClient}, {@code NamekoRpcServer}, {@code EventDispatcher} and {@code
 * EventSubscriber} work against it as against RabbitMQ, so a test needs nothing installed.
 *
 * <p>What it does not do: RabbitMQ's extensions beyond AMQP 0-9-1 that nameko4j uses only on
 * request (quorum queues, {@code x-queue-type}), clustering, and RabbitMQ's exact refusal texts;
 * per-queue {@code x-expires} and message {@code expiration} work. Messages live in memory and
 * die with the broker. Guest/guest on virtual host {@code /}. Thread-safe; close it.
 */
public final class InProcessBroker implements AutoCloseable {
  private final SystemLauncher launcher = new SystemLauncher();
  private final int port;
  private final Path workDir;

  private InProcessBroker(int port, Path workDir) {
    this.port = port;
    this.workDir = workDir;
  }

  /**
   * Starts a broker.
   *
   * @throws IllegalStateException it could not start (the message says why)
   */
  public static InProcessBroker start() {
    try {
      int port;
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = socket.getLocalPort();
      }
      Path work = Files.createTempDirectory("nameko4j-qpid");
      InProcessBroker broker = new InProcessBroker(port, work);
      broker.launch();
      return broker;
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the in-process AMQP broker: " + e.getMessage(), e);
    }
  }

  private void launch() throws Exception {
    URL config = InProcessBroker.class.getResource("/nameko4j-test-broker.json");
    Map<String, Object> attributes = new HashMap<>();
    attributes.put("type", "Memory");
    attributes.put(SystemConfig.INITIAL_CONFIGURATION_LOCATION, config.toExternalForm());
    // Qpid's default is a classpath: URL, whose handler the JDK cannot load from a nested jar (a
    // Spring Boot executable jar): name an empty file instead.
    Path systemProperties = Files.createFile(workDir.resolve("system.properties"));
    attributes.put(SystemConfig.INITIAL_SYSTEM_PROPERTIES_LOCATION, systemProperties.toUri().toURL().toExternalForm());
    attributes.put(SystemConfig.STARTUP_LOGGED_TO_SYSTEM_OUT, false);
    Map<String, String> context = new HashMap<>();
    context.put("qpid.amqp_port", String.valueOf(port));
    context.put("qpid.work_dir", workDir.toString());
    context.put("qpid.home_dir", workDir.toString());
    attributes.put(SystemConfig.CONTEXT, context);
    launcher.startup(attributes);
  }

  /** {@code amqp://guest:guest@127.0.0.1:<port>}, for any nameko4j builder's {@code uri(...)}. */
  public String uri() {
    return "amqp://guest:guest@127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Stops the broker; its connections are closed, its messages gone. */
  @Override
  public void close() {
    launcher.shutdown();
    try (var files = Files.walk(workDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
    }
  }

  @Override
  public String toString() {
    return "InProcessBroker{" + uri() + "}";
  }
}
