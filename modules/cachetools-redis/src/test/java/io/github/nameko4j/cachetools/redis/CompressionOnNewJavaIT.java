package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.cachetools.redis.internal.Compression;
import io.github.nameko4j.testsupport.Jdks;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The store's LZ4 is the pure-Java one: on Java 24+ it must not make the JVM print its
 * "terminally deprecated method in sun.misc.Unsafe" warning, as lz4-java's default (unsafe)
 * instance would. Runs compression in a JVM of Java 24 or later and reads what it prints.
 */
class CompressionOnNewJavaIT {

  /** Compresses and decompresses a large value; prints how it went. */
  public static void main(String[] args) {
    Compression compression = new Compression(8192, 1 << 24);
    byte[] value = "{\"sku\": \"SKU-1\", \"price_cents\": 1999} ".repeat(2000).getBytes(StandardCharsets.UTF_8);
    byte[] stored = compression.encode(value);
    System.out.println("round trip " + Arrays.equals(value, compression.decode(stored)) + ", smaller " + (stored.length < value.length / 4));
  }

  @Test
  void compressionPrintsNoUnsafeWarningOnJava24AndLater() throws Exception {
    Process p = new ProcessBuilder(Jdks.javaAtLeast(24).toString(), "-cp", System.getProperty("java.class.path"),
        CompressionOnNewJavaIT.class.getName()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("round trip true, smaller true").doesNotContain("Unsafe", "WARNING");
  }
}
