package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.testsupport.RedisServerProcess;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A {@code redis-sentinel://} URI: the store finds the master through a Sentinel the test starts. */
class RedisSentinelIT {

  @Test
  void findsTheMasterThroughSentinel() throws Exception {
    Path dir = Files.createTempDirectory("nameko4j-sentinel");
    int sentinelPort = RedisServerProcess.freePort();
    Process sentinel = null;
    try (RedisServerProcess master = RedisServerProcess.start()) {
      Path conf = dir.resolve("sentinel.conf");
      Files.writeString(conf, "port " + sentinelPort + "\nbind 127.0.0.1\ndir " + dir + "\n"
          + "sentinel monitor mymaster 127.0.0.1 " + master.port() + " 1\n"
          + "sentinel down-after-milliseconds mymaster 2000\n");
      sentinel = new ProcessBuilder("redis-server", conf.toString(), "--sentinel")
          .redirectErrorStream(true).redirectOutput(new File(dir.toFile(), "sentinel.log")).start();
      Runtime.getRuntime().addShutdownHook(new Thread(sentinel::destroyForcibly));
      await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> {
        Process p = new ProcessBuilder("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(sentinelPort),
            "SENTINEL", "get-master-addr-by-name", "mymaster").redirectErrorStream(true).start();
        p.waitFor(5, TimeUnit.SECONDS);
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains(String.valueOf(master.port()));
      });

      try (RedisCacheStore store = RedisCacheStore.builder("sentinel").uri("redis-sentinel://127.0.0.1:" + sentinelPort + "#mymaster")
          .commandTimeout(Duration.ofMillis(500)).connectTimeout(Duration.ofSeconds(3)).build()) {
        store.put("k", "via sentinel".getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(1)).join();
        assertThat(store.get("k").join()).isEqualTo("via sentinel".getBytes(StandardCharsets.UTF_8));
        assertThat(master.cli("GET", "nameko4j:sentinel:k")).isEqualTo("via sentinel"); // it reached the master
        assertThat(store.failures()).isZero();
      }
    } finally {
      if (sentinel != null) {
        sentinel.destroyForcibly();
        sentinel.waitFor(10, TimeUnit.SECONDS);
      }
      RedisServerProcess.deleteTree(dir);
    }
  }
}
