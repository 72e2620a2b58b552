package io.github.nameko4j.rpc.internal;

import io.github.nameko4j.rpc.NamekoRpcClient;
import java.time.Duration;

/** The checks every builder of a connection makes, with the same messages everywhere. */
public final class Checks {
  private Checks() {}

  /** @throws IllegalArgumentException naming {@code name} when {@code d} is null, zero or negative */
  public static Duration positive(String name, Duration d) {
    if (d == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
    return d;
  }

  /** @throws IllegalArgumentException outside 1 s to 1 h */
  public static Duration heartbeat(Duration heartbeat) {
    if (heartbeat == null || heartbeat.toSeconds() < 1 || heartbeat.toSeconds() > 3600) {
      throw new IllegalArgumentException("heartbeat must be between 1 s and 1 h, was " + heartbeat);
    }
    return heartbeat;
  }

  /** @throws IllegalArgumentException outside 1024 bytes to RabbitMQ's 512 MiB */
  public static int maxMessageSize(int bytes) {
    if (bytes < 1024 || bytes > NamekoRpcClient.MAX_MESSAGE_SIZE_LIMIT) {
      throw new IllegalArgumentException("maxMessageSize must be between 1024 and " + NamekoRpcClient.MAX_MESSAGE_SIZE_LIMIT
          + " bytes, was " + bytes);
    }
    return bytes;
  }

  /** @throws IllegalArgumentException outside 1 to 10000 */
  public static int maxWorkers(int maxWorkers) {
    if (maxWorkers < 1 || maxWorkers > 10_000) {
      throw new IllegalArgumentException("maxWorkers must be between 1 and 10000, was " + maxWorkers);
    }
    return maxWorkers;
  }

  /** @throws IllegalStateException a convention was given without a registry: it would do nothing */
  public static void conventionNeedsRegistry(Object convention, Object registry) {
    if (convention != null && registry == null) {
      throw new IllegalStateException("observationConvention needs an observationRegistry: without one nothing is observed");
    }
  }
}
