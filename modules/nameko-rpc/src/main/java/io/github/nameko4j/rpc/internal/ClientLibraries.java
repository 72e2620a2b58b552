package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.impl.ClientVersion;

/**
 * The RabbitMQ Java client on the class path is one nameko4j works with. An older one (a build
 * that imports Spring Boot's BOM before nameko4j's takes Boot's, 5.27 with Boot 4.0) lacks what
 * the library guards its connections with and would fail later with a linkage error: it is named
 * at once instead, with the fix.
 */
public final class ClientLibraries {
  /** The oldest RabbitMQ Java client nameko4j runs on. */
  public static final String MINIMUM_AMQP_CLIENT = "5.37.0";

  private static volatile boolean checked;

  private ClientLibraries() {}

  /** @throws IllegalStateException the RabbitMQ Java client on the class path is older than {@link #MINIMUM_AMQP_CLIENT} */
  public static void requireAmqpClient() {
    if (checked) {
      return;
    }
    String found = ClientVersion.VERSION;
    if (!atLeast(found, MINIMUM_AMQP_CLIENT)) {
      throw new IllegalStateException("nameko4j needs the RabbitMQ Java client (com.rabbitmq:amqp-client) " + MINIMUM_AMQP_CLIENT
          + " or later, but " + found + " is on the class path: a BOM imported before nameko4j-bom (Spring Boot's sets 5.27.x) "
          + "decided it. Import nameko4j-bom first in <dependencyManagement>, or set the version of com.rabbitmq:amqp-client "
          + "(with Spring Boot's parent: <rabbit-amqp-client.version>" + MINIMUM_AMQP_CLIENT + "</rabbit-amqp-client.version>).");
    }
    checked = true;
  }

  /** Whether dotted version {@code found} is {@code minimum} or later; an unreadable one passes (a build of its own). */
  static boolean atLeast(String found, String minimum) {
    if (found == null) {
      return true;
    }
    String[] f = found.split("[.-]");
    String[] m = minimum.split("\\.");
    for (int i = 0; i < m.length; i++) {
      int have;
      try {
        have = i < f.length ? Integer.parseInt(f[i]) : 0;
      } catch (NumberFormatException e) {
        return true;
      }
      int want = Integer.parseInt(m[i]);
      if (have != want) {
        return have > want;
      }
    }
    return true;
  }
}
