package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.nameko4j.cachetools.CacheStoreException;
import io.github.nameko4j.testsupport.RedisClusterProcess;
import io.github.nameko4j.testsupport.RedisServerProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
        // refused: the store says so (the proxies make it a miss), naming neither password
        assertThatThrownBy(() -> wrong.get("k").join()).hasCauseInstanceOf(CacheStoreException.class)
            .hasMessageContaining("not connected").hasMessageNotContaining("nope");
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
        assertThatThrownBy(() -> untrusted.get("k").join()).hasCauseInstanceOf(CacheStoreException.class); // certificate not trusted
        assertThat(redis.cli("--tls", "--cacert", redis.caCertificate().toString(), "EXISTS", "nameko4j:tls:k")).isEqualTo("1");
      }
    }
  }

  @Test
  void worksOnAThreeMasterCluster() {
    try (RedisClusterProcess cluster = RedisClusterProcess.start(3, 0);
        RedisCacheStore store = RedisCacheStore.builder("cluster").clusterUris(cluster.uris()[0])
            .commandTimeout(TIMEOUT).connectTimeout(Duration.ofSeconds(2)).build()) {
      for (int i = 0; i < 50; i++) {
        store.put("key-" + i, bytes("value-" + i), Duration.ofMinutes(1)).join();
      }
      for (int i = 0; i < 50; i++) {
        assertThat(store.get("key-" + i).join()).isEqualTo(bytes("value-" + i));
      }
      int withKeys = 0;
      for (RedisServerProcess n : cluster.nodes()) {
        if (!n.cli("DBSIZE").equals("0")) {
          withKeys++;
        }
      }
      assertThat(withKeys).as("keys spread over the masters").isEqualTo(3);
      assertThat(store.failures()).isZero();
    }
  }
}
