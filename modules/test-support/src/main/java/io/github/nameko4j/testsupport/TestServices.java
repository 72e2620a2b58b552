package io.github.nameko4j.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.RabbitMQContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Where the tests of this JVM find RabbitMQ and Redis.
 *
 * <p>Each service is looked up once, on first use, in this order:
 *
 * <ol>
 *   <li>the environment variable ({@code AMQP_URI}, {@code REDIS_URI}) or the system property of the
 *       same name;
 *   <li>a Testcontainers container, when a Docker engine answers;
 *   <li>the default port on 127.0.0.1, when something there answers the service's own handshake;
 *   <li>otherwise a {@link ServiceUnavailableError} that says how to start the service. A test that
 *       needs a service fails; it never silently skips.
 * </ol>
 *
 * <p>Thread-safe. Containers started here live until the JVM exits.
 */
public final class TestServices {

  private static final Logger LOG = LoggerFactory.getLogger(TestServices.class);
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
  private static final String HOW_TO_START =
      "Start the services with `docker compose up -d --wait` in the repository root, "
          + "or on a machine without Docker: `redis-server --port 6379` and `rabbitmq-server -detached`; "
          + "or point the tests elsewhere with the environment variables AMQP_URI and REDIS_URI.";

  private static final TestServices INSTANCE = new TestServices();

  private final Lazy amqp = new Lazy(this::findAmqp);
  private final Lazy redis = new Lazy(this::findRedis);

  private TestServices() {}

  /** The services of this JVM. */
  public static TestServices get() {
    return INSTANCE;
  }

  /**
   * An AMQP URI of a RabbitMQ broker, e.g. {@code amqp://guest:guest@127.0.0.1:5672}.
   *
   * @throws ServiceUnavailableError if no broker can be found
   */
  public String amqpUri() {
    return amqp.get();
  }

  /**
   * A Redis URI, e.g. {@code redis://127.0.0.1:6379}.
   *
   * @throws ServiceUnavailableError if no Redis can be found
   */
  public String redisUri() {
    return redis.get();
  }

  private String findAmqp() {
    String configured = configured("AMQP_URI");
    if (configured != null) {
      return configured;
    }
    if (dockerAvailable()) {
      RabbitMQContainer container =
          new RabbitMQContainer(DockerImageName.parse("rabbitmq:3-management"));
      container.start();
      return container.getAmqpUrl();
    }
    if (answersAmqp("127.0.0.1", 5672)) {
      return "amqp://guest:guest@127.0.0.1:5672";
    }
    throw new ServiceUnavailableError(
        "RabbitMQ not found: AMQP_URI is not set, no Docker engine answers, "
            + "and nothing speaks AMQP on 127.0.0.1:5672. "
            + HOW_TO_START);
  }

  private String findRedis() {
    String configured = configured("REDIS_URI");
    if (configured != null) {
      return configured;
    }
    if (dockerAvailable()) {
      GenericContainer<?> container =
          new GenericContainer<>(DockerImageName.parse("redis:7-alpine")).withExposedPorts(6379);
      container.start();
      return "redis://" + container.getHost() + ":" + container.getMappedPort(6379);
    }
    if (answersRedis("127.0.0.1", 6379)) {
      return "redis://127.0.0.1:6379";
    }
    throw new ServiceUnavailableError(
        "Redis not found: REDIS_URI is not set, no Docker engine answers, "
            + "and no Redis answers PING on 127.0.0.1:6379. "
            + HOW_TO_START);
  }

  private static String configured(String name) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank()) {
      value = System.getenv(name);
    }
    if (value == null || value.isBlank()) {
      return null;
    }
    URI uri = URI.create(value.trim());
    LOG.info("tests use {} from {}", name, uri.getHost() + ":" + uri.getPort());
    return value.trim();
  }

  private static boolean dockerAvailable() {
    // Asking Testcontainers where no engine can be logs a scary ERROR; look for a socket first.
    boolean hint =
        System.getenv("DOCKER_HOST") != null
            || new File("/var/run/docker.sock").exists()
            || new File(System.getProperty("user.home"), ".docker/run/docker.sock").exists()
            || new File(System.getProperty("user.home"), ".testcontainers.properties").exists();
    if (!hint) {
      return false;
    }
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      LOG.debug("no Docker engine: {}", e.toString());
      return false;
    }
  }

  /** Sends the AMQP 0-9-1 protocol header and expects a method frame (connection.start) back. */
  static boolean answersAmqp(String host, int port) {
    return probe(
        host,
        port,
        new byte[] {'A', 'M', 'Q', 'P', 0, 0, 9, 1},
        reply -> reply.length > 0 && reply[0] == 1);
  }

  /** Sends an inline PING and expects +PONG (or -NOAUTH, which still proves a Redis is there). */
  static boolean answersRedis(String host, int port) {
    return probe(
        host,
        port,
        "PING\r\n".getBytes(StandardCharsets.US_ASCII),
        reply -> {
          String text = new String(reply, StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT);
          return text.startsWith("+PONG") || text.startsWith("-NOAUTH");
        });
  }

  private interface ReplyCheck {
    boolean accepts(byte[] reply);
  }

  private static boolean probe(String host, int port, byte[] hello, ReplyCheck check) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), (int) PROBE_TIMEOUT.toMillis());
      socket.setSoTimeout((int) PROBE_TIMEOUT.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(hello);
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[16];
      int read = in.read(buffer);
      if (read <= 0) {
        return false;
      }
      byte[] reply = new byte[read];
      System.arraycopy(buffer, 0, reply, 0, read);
      return check.accepts(reply);
    } catch (IOException e) {
      return false;
    }
  }

  /** Memoizes a lookup, including its failure, so every test reports the same cause quickly. */
  private static final class Lazy {
    private final Supplier<String> lookup;
    private String value;
    private RuntimeException failure;

    Lazy(Supplier<String> lookup) {
      this.lookup = lookup;
    }

    synchronized String get() {
      if (value == null && failure == null) {
        try {
          value = lookup.get();
        } catch (RuntimeException e) {
          failure = e;
        }
      }
      if (failure != null) {
        throw failure;
      }
      return value;
    }
  }
}
