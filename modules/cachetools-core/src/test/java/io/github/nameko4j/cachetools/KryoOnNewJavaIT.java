package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.testsupport.Jdks;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * On Java 24+ the first cache use printed the JVM's "terminally deprecated method in
 * sun.misc.Unsafe has been called" warning (Kryo's unsafe utilities, loaded by Kryo itself).
 * Runs the codec in a JVM of Java 24 or later and reads what it prints.
 */
class KryoOnNewJavaIT {

  /** Encodes and decodes a reply-shaped value; prints it. */
  public static void main(String[] args) {
    KryoValueCodec codec = KryoValueCodec.create();
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("items", new ArrayList<>(List.of("a", 1, 2.5, true)));
    System.out.println("decoded " + codec.decode(codec.encode(value)));
  }

  @Test
  void theCodecPrintsNoUnsafeWarningOnJava24AndLater() throws Exception {
    Process p = new ProcessBuilder(Jdks.javaAtLeast(24).toString(), "-cp", System.getProperty("java.class.path"),
        KryoOnNewJavaIT.class.getName()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("decoded {items=[a, 1, 2.5, true]}").doesNotContain("Unsafe", "WARNING");
  }
}
