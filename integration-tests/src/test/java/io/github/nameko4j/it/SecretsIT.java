package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.testsupport.RedisServerProcess;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/** Passwords in AMQP and Redis URIs never appear in a log line, an exception message or toString(). */
@ExtendWith(TestServicesExtension.class)
class SecretsIT {
  static final String AMQP_SECRET = "amqpS3cretXyz";
  static final String REDIS_SECRET = "redisS3cretXyz";

  @Test
  void passwordsStayOutOfLogsExceptionsAndToString(TestServices services) throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger ours = (Logger) LoggerFactory.getLogger("io.github.nameko4j");
    Level before = ours.getLevel();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    ours.setLevel(Level.DEBUG);
    List<String> seen = new ArrayList<>();
    URI broker = URI.create(services.amqpUri());
    String wrongAmqp = "amqp://guest:" + AMQP_SECRET + "@" + broker.getHost() + ":" + broker.getPort();
    try (RedisServerProcess redis = RedisServerProcess.start("--requirepass", REDIS_SECRET)) {
      // unreachable broker, wrong password at a real broker: client and server
      for (String uri : List.of("amqp://guest:" + AMQP_SECRET + "@127.0.0.1:1", wrongAmqp)) {
        try {
          NamekoRpcClient.builder().uri(uri).connectTimeout(Duration.ofSeconds(2)).build().close();
          throw new AssertionError("connected with a wrong password");
        } catch (RuntimeException e) {
          collect(e, seen);
        }
        try {
          NamekoRpcServer.builder().uri(uri).service("secret_svc", new Fixture.Counting("x")).connectTimeout(Duration.ofSeconds(2)).start().close();
          throw new AssertionError("started with a wrong password");
        } catch (RuntimeException e) {
          collect(e, seen);
        }
      }
      try {
        NamekoRpcClient.builder().uri("amqp://guest:" + AMQP_SECRET + "@[bad").build();
      } catch (RuntimeException e) {
        collect(e, seen);
      }
      // Redis: right and wrong password, unreachable
      for (String uri : List.of("redis://:" + REDIS_SECRET + "@127.0.0.1:" + redis.port(), "redis://:" + REDIS_SECRET + "x@127.0.0.1:" + redis.port(),
          "redis://user:" + REDIS_SECRET + "@127.0.0.1:1")) {
        try (RedisCacheStore store = RedisCacheStore.builder("secrets").uri(uri).connectTimeout(Duration.ofMillis(500)).build()) {
          seen.add(store.toString());
          store.get("k").join();
        } catch (RuntimeException e) { // a refused or unreachable Redis: the store's own exception
          collect(e, seen);
        }
      }
      try (NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).build()) {
        seen.add(client.toString());
        seen.add(CachedRpcProxy.builder(client).service("x").build().toString());
      }
    } finally {
      root.detachAppender(logs);
      ours.setLevel(before);
    }
    for (ILoggingEvent event : logs.list) {
      seen.add(event.getFormattedMessage());
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        seen.add(t.getMessage());
      }
    }
    assertThat(seen).hasSizeGreaterThan(8);
    assertThat(String.join("\n", seen.stream().map(String::valueOf).toList()))
        .doesNotContain(AMQP_SECRET).doesNotContain(REDIS_SECRET).contains("***");
  }

  private static void collect(Throwable e, List<String> seen) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      seen.add(String.valueOf(t.getMessage()));
      seen.add(t.toString());
    }
  }
}
