package io.github.nameko4j.examples;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.InMemoryCacheStore;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.TransportException;
import io.github.nameko4j.rpc.internal.BrokerUri;
import io.github.nameko4j.test.InProcessBroker;
import io.lettuce.core.RedisClient;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The demo: {@code other_service}, two replicas of {@code demo} calling it through the caching
 * proxies, and a driver calling {@code demo} while {@code other_service} is healthy, slow, then
 * stopped. Runs on an embedded broker and in-process caches by default; {@code --amqp URI} /
 * {@code --redis URI} (or AMQP_URI / REDIS_URI) use a real RabbitMQ and a shared Redis.
 */
public final class Demo {
  /** One call the driver made. */
  public record Row(int step, String method, String argument, String replica, String source, String reply, String because, long millis) {}

  /** What the demo did, for its test. */
  public record Report(String broker, boolean sharedCache, List<Row> rows, int otherServiceCalls) {
    public long count(String source) {
      return rows.stream().filter(r -> r.source().equals(source)).count();
    }
  }

  private final PrintStream out;
  private final List<Row> rows = new ArrayList<>();

  private Demo(PrintStream out) {
    this.out = out;
  }

  static final String USAGE = String.join("\n",
      "usage: java -jar nameko-demo.jar [--amqp URI] [--redis URI] [--embedded]",
      "  (no option)     an embedded AMQP broker in this process and an in-process cache: nothing to install,",
      "                  unless $AMQP_URI / $REDIS_URI are set, which are used as --amqp / --redis",
      "  --amqp URI      a real RabbitMQ, e.g. amqp://guest:guest@localhost:5672 (pyamqp:// works too)",
      "  --redis URI     a Redis shared by the two replicas, e.g. redis://localhost:6379",
      "  --embedded      the embedded broker and in-process cache, ignoring $AMQP_URI and $REDIS_URI",
      "Exit codes: 0 done, 64 usage, 69 a service could not be reached.");

  public static void main(String[] args) {
    String amqp = System.getenv("AMQP_URI");
    String redis = System.getenv("REDIS_URI");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--amqp" -> amqp = value(args, ++i);
        case "--redis" -> redis = value(args, ++i);
        case "--embedded" -> {
          amqp = null;
          redis = null;
        }
        case "-h", "--help" -> {
          System.out.println(USAGE);
          System.exit(0);
        }
        default -> usage("unknown option " + args[i]);
      }
    }
    for (String[] env : new String[][] {{"AMQP_URI", amqp}, {"REDIS_URI", redis}}) {
      if (env[1] != null && env[1].equals(System.getenv(env[0])) && !env[1].isBlank()) {
        System.out.println("(using $" + env[0] + "; --embedded ignores it)");
      }
    }
    try {
      run(blankToNull(amqp), blankToNull(redis), System.out);
    } catch (TransportException e) {
      // Expected when the broker is down or the URI is wrong: one line, and what to do.
      System.err.println("demo: " + e.getMessage());
      System.err.println("demo: start RabbitMQ (docker compose up -d --wait), pass --amqp URI, or run without options"
          + " (or with --embedded) for the embedded broker");
      System.exit(69);
    } catch (IllegalArgumentException e) {
      usage(e.getMessage());
    }
    System.exit(0);
  }

  private static void usage(String problem) {
    System.err.println("demo: " + problem);
    System.err.println(USAGE);
    System.exit(64);
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      usage(args[i - 1] + " needs a value");
    }
    return args[i];
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /** Runs the whole story; {@code amqpUri} or {@code redisUri} null means embedded / in-process. */
  public static Report run(String amqpUri, String redisUri, PrintStream out) {
    return new Demo(out).story(amqpUri, redisUri);
  }

  private Report story(String amqpUri, String redisUri) {
    String runId = UUID.randomUUID().toString().substring(0, 8);
    InProcessBroker embedded = amqpUri == null ? InProcessBroker.start() : null;
    String amqp = embedded != null ? embedded.uri() : amqpUri;
    String brokerText = embedded != null ? "embedded AMQP broker (Qpid) on 127.0.0.1:" + embedded.port() : "RabbitMQ " + BrokerUri.redact(amqp);
    String cacheText = redisUri == null
        ? "in-process cache per replica (no Redis: replicas do not share it)"
        : "Redis " + redactRedis(redisUri) + ", shared by both replicas (namespace demo-" + runId + ")";
    boolean redisReached = redisUri != null;
    OtherService target = new OtherService();
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      out.println("nameko4j demo");
      out.println("  broker: " + brokerText);
      out.println("  cache:  " + cacheText);
      out.println("  demo replicas A and B call other_service: do_something through a CachedRpcProxy (failover");
      out.println("  timeout " + DemoService.FAILOVER_TIMEOUT.toMillis() + " ms), lookup through a CacheFirstRpcProxy (ttl "
          + DemoService.LOOKUP_TTL.toSeconds() + " s).");
      NamekoRpcServer other = NamekoRpcServer.builder().uri(amqp).service("other_service", target).start();
      for (String replica : List.of("A", "B")) {
        NamekoRpcClient rpc = NamekoRpcClient.builder().uri(amqp).callerName("demo").callTimeout(Duration.ofSeconds(2)).build();
        resources.add(0, rpc);
        CacheStore store = redisUri == null ? InMemoryCacheStore.create()
            : RedisCacheStore.builder("demo-" + runId).uri(redisUri).build();
        resources.add(0, store);
        if (store instanceof RedisCacheStore && !((RedisCacheStore) store).isConnected() && redisReached) {
          redisReached = false;
          out.println("  NOTE:   Redis " + redactRedis(redisUri) + " could not be reached: each replica runs with an empty");
          out.println("          cache (every lookup a miss) until it can. Start Redis or fix --redis.");
        }
        resources.add(0, NamekoRpcServer.builder().uri(amqp).service("demo", new DemoService(replica, rpc, store)).maxWorkers(1).start());
      }
      try (NamekoRpcClient driver = NamekoRpcClient.builder().uri(amqp).callTimeout(Duration.ofSeconds(15)).build()) {
        out.println();
        out.println("1. other_service is healthy");
        callUntilBothReplicas(driver, 1, "do_something", "hi");
        callUntilBothReplicas(driver, 1, "lookup", "hi");

        out.println();
        out.println("2. other_service turns slow: each answer now takes 3 s");
        target.delayMillis = 3000;
        call(driver, 2, "do_something", "hi");
        call(driver, 2, "do_something", "hi");
        call(driver, 2, "lookup", "hi");
        call(driver, 2, "lookup", "hi");

        out.println();
        out.println("3. other_service stops (its queue stays, with nobody consuming it)");
        other.stop(Duration.ofSeconds(5)); // lets the calls it is answering finish, rather than leave them for redelivery
        call(driver, 3, "do_something", "hi");
        call(driver, 3, "do_something", "hi");
        call(driver, 3, "do_something", "never-asked");
        call(driver, 3, "lookup", "hi");
      }
      Report report = new Report(brokerText, redisReached, List.copyOf(rows), target.calls.get());
      out.println();
      out.printf("%d calls: %d answered by other_service, %d from the cache, %d failed; other_service was asked %d times.%n",
          rows.size(), report.count("service"), report.count("cache"), report.count("error"), report.otherServiceCalls());
      out.println(redisUri == null
          ? "Each replica had its own cache, so each asked other_service once before it could fail over. With --redis they share one."
          : redisReached
              ? "The replicas shared one Redis cache: what one replica cached, the other answered from."
              : "Redis could not be reached, so nothing was cached or shared: every answer that needed the cache failed.");
      return report;
    } finally {
      for (AutoCloseable r : resources) {
        try {
          r.close();
        } catch (Exception e) {
          // shutting down: nothing to do
        }
      }
      cleanUp(amqp, redisUri, runId);
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  private void callUntilBothReplicas(NamekoRpcClient driver, int step, String method, String argument) {
    Set<Object> seen = new HashSet<>();
    for (int i = 0; i < 8 && seen.size() < 2; i++) {
      seen.add(call(driver, step, method, argument).replica());
    }
  }

  private Row call(NamekoRpcClient driver, int step, String method, String argument) {
    long start = System.nanoTime();
    Map<?, ?> reply = (Map<?, ?>) driver.call("demo", method, argument);
    long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
    Row row = new Row(step, method, argument, String.valueOf(reply.get("replica")), String.valueOf(reply.get("source")),
        String.valueOf(reply.get("reply")), reply.get("because") == null ? null : String.valueOf(reply.get("because")), millis);
    rows.add(row);
    out.printf("   demo.%-12s %-15s replica %s  %-7s %5d ms  %s%s%n", method, "(\"" + argument + "\")", row.replica(), row.source(),
        millis, row.reply(), row.because() == null ? "" : "  [" + row.because() + "]");
    return row;
  }

  /** Leaves nothing behind on a real broker or Redis. */
  private static void cleanUp(String amqp, String redisUri, String runId) {
    try {
      ConnectionFactory f = new ConnectionFactory();
      f.setUri(amqp.replaceFirst("^(pyamqp|librabbitmq)://", "amqp://"));
      f.setConnectionTimeout(2000);
      try (Connection c = f.newConnection(); Channel ch = c.createChannel()) {
        ch.queueDelete("rpc-demo");
        ch.queueDelete("rpc-other_service");
      }
    } catch (Exception e) {
      // best effort
    }
    if (redisUri != null) {
      RedisClient client = RedisClient.create(redisUri);
      try (var connection = client.connect()) {
        List<String> keys = connection.sync().keys("nameko4j:demo-" + runId + ":*");
        if (!keys.isEmpty()) {
          connection.sync().del(keys.toArray(new String[0]));
        }
      } catch (RuntimeException e) {
        // best effort
      } finally {
        client.shutdown();
      }
    }
  }

  private static String redactRedis(String uri) {
    return uri.replaceAll("://([^:@/]*):[^@/]*@", "://$1:***@");
  }
}
