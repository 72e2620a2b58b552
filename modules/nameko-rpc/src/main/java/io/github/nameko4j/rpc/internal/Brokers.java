package io.github.nameko4j.rpc.internal;

import java.util.Locale;
import java.util.Map;

/** What a connected broker is, where RabbitMQ and the embedded Qpid Broker-J differ. */
public final class Brokers {
  private Brokers() {}

  /**
   * True for Qpid Broker-J: it reads a message's expiration, as JMS does, as an instant in epoch
   * milliseconds (RabbitMQ: milliseconds from now), and refuses RabbitMQ's queue arguments such as
   * {@code x-expires}. Qpid announces {@code qpid.*} capabilities (its {@code product} may read
   * "unknown" from a repackaged jar).
   */
  public static boolean isQpid(Map<String, Object> serverProperties) {
    Object product = serverProperties.get("product");
    if (product != null && product.toString().toLowerCase(Locale.ROOT).contains("qpid")) {
      return true;
    }
    return serverProperties.keySet().stream().anyMatch(k -> k.startsWith("qpid."));
  }
}
