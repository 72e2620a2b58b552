package io.github.nameko4j.examples;

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
 * An AMQP 0-9-1 broker in this process (Apache Qpid Broker-J, in memory) on a free loopback port,
 * so the demo runs with nothing installed. For demos and tests only; the library never needs it.
 */
public final class EmbeddedBroker implements AutoCloseable {
  private final SystemLauncher launcher = new SystemLauncher();
  private final int port;
  private final Path workDir;

  private EmbeddedBroker(int port, Path workDir) {
    this.port = port;
    this.workDir = workDir;
  }

  /** Starts a broker; guest/guest on virtual host "/". */
  public static EmbeddedBroker start() {
    try {
      int port;
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = socket.getLocalPort();
      }
      Path work = Files.createTempDirectory("nameko4j-qpid");
      EmbeddedBroker broker = new EmbeddedBroker(port, work);
      broker.launch();
      return broker;
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the embedded AMQP broker: " + e.getMessage(), e);
    }
  }

  private void launch() throws Exception {
    URL config = EmbeddedBroker.class.getResource("/embedded-broker.json");
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

  /** {@code amqp://guest:guest@127.0.0.1:<port>}. */
  public String uri() {
    return "amqp://guest:guest@127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  @Override
  public void close() {
    launcher.shutdown();
    try (var files = Files.walk(workDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
    }
  }
}
