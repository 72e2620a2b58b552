package io.github.nameko4j.testsupport;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Drives the local RabbitMQ node for fault tests (stop_app / start_app). */
public final class Rabbitmqctl {
  private Rabbitmqctl() {}

  /**
   * Fails (never skips) unless the broker is the local node that {@code rabbitmqctl} controls, so
   * a fault test cannot silently test nothing.
   */
  public static void assumeLocalBroker(String amqpUri) {
    String host = URI.create(amqpUri).getHost();
    if (!"127.0.0.1".equals(host) && !"localhost".equals(host)) {
      throw new ServiceUnavailableError(
          "this fault test stops and starts the broker with rabbitmqctl, so it needs the local node; AMQP_URI points at " + host);
    }
  }

  /** Runs {@code rabbitmqctl <command>} and waits for it (at most 60 s). */
  public static void run(String command) {
    ProcessBuilder pb = new ProcessBuilder("rabbitmqctl", command).redirectErrorStream(true);
    try {
      Process process = pb.start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("rabbitmqctl " + command + " did not finish within 60 s");
      }
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        throw new IllegalStateException("rabbitmqctl " + command + " failed: " + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run rabbitmqctl " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running rabbitmqctl " + command, e);
    }
  }
}
