package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.testsupport.RedisServerProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Password, ACL user and Redis Cluster, each on test-owned redis-servers. */
class RedisAuthAndClusterIT {
  private static final Duration TIMEOUT = Duration.ofMillis(500);

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void worksWithAPasswordAndWithAnAclUserAndMissesWithAWrongOne() {
    try (RedisServerProcess redis = RedisServerProcess.start("--requirepass", "s3cret")) {
      assertThat(redis.cli("-a", "s3cret", "--no-auth-warning", "ACL", "SETUSER", "app", "on", ">apppass", "~nameko4j:*", "+@all")).isEqualTo("OK");
      try (RedisCacheStore password = RedisCacheStore.builder("auth").uri("redis://:s3cret@127.0.0.1:" + redis.port()).commandTimeout(TIMEOUT).build();
          RedisCacheStore acl = RedisCacheStore.builder("auth").uri("redis://app:apppass@127.0.0.1:" + redis.port() + "/0").commandTimeout(TIMEOUT).build();
          RedisCacheStore wrong = RedisCacheStore.builder("auth").uri("redis://app:nope@127.0.0.1:" + redis.port()).commandTimeout(TIMEOUT)
              .connectTimeout(Duration.ofMillis(500)).build()) {
        password.put("k", bytes("v"), null).join();
        assertThat(acl.get("k").join()).isEqualTo(bytes("v"));
        assertThat(wrong.get("k").join()).isNull(); // refused: a miss, never an exception
        assertThat(wrong.toString() + password.toString()).doesNotContain("nope").doesNotContain("s3cret");
      }
    }
  }

  @Test
  void worksOverTlsWithAPrivateCaAndRefusesAnUntrustedServer() {
    try (RedisServerProcess redis = RedisServerProcess.startTls()) {
      String uri = "rediss://127.0.0.1:" + redis.port();
      try (RedisCacheStore trusted = RedisCacheStore.builder("tls").uri(uri).trustedCertificates(redis.caCertificate())
              .commandTimeout(TIMEOUT).connectTimeout(Duration.ofSeconds(3)).build();
          RedisCacheStore untrusted = RedisCacheStore.builder("tls").uri(uri).commandTimeout(TIMEOUT)
              .connectTimeout(Duration.ofSeconds(3)).build()) {
        trusted.put("k", bytes("over tls"), Duration.ofMinutes(1)).join();
        assertThat(trusted.get("k").join()).isEqualTo(bytes("over tls"));
        assertThat(untrusted.get("k").join()).isNull(); // certificate not trusted: a miss
        assertThat(redis.cli("--tls", "--cacert", redis.caCertificate().toString(), "EXISTS", "nameko4j:tls:k")).isEqualTo("1");
      }
    }
  }

  @Test
  void worksOnAThreeMasterCluster() throws Exception {
    List<RedisServerProcess> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        nodes.add(RedisServerProcess.start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", "2000"));
      }
      List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
      for (RedisServerProcess n : nodes) {
        create.add("127.0.0.1:" + n.port());
      }
      create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
      Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor()).as(out).isZero();
      await().atMost(Duration.ofSeconds(20)).until(() -> nodes.get(0).cli("CLUSTER", "INFO").contains("cluster_state:ok"));

      try (RedisCacheStore store = RedisCacheStore.builder("cluster").clusterUris(nodes.get(0).uri())
          .commandTimeout(TIMEOUT).connectTimeout(Duration.ofSeconds(2)).build()) {
        for (int i = 0; i < 50; i++) {
          store.put("key-" + i, bytes("value-" + i), Duration.ofMinutes(1)).join();
        }
        for (int i = 0; i < 50; i++) {
          assertThat(store.get("key-" + i).join()).isEqualTo(bytes("value-" + i));
        }
        int withKeys = 0;
        for (RedisServerProcess n : nodes) {
          if (!n.cli("DBSIZE").equals("0")) {
            withKeys++;
          }
        }
        assertThat(withKeys).as("keys spread over the masters").isEqualTo(3);
        assertThat(store.failures()).isZero();
      }
    } finally {
      nodes.forEach(RedisServerProcess::close);
    }
  }
}
