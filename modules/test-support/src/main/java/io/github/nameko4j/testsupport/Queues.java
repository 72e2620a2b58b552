package io.github.nameko4j.testsupport;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

/**
 * Deletes the durable {@code rpc-<service>} queues a test's services declared. nameko keeps a
 * service's queue when the service stops (it buffers requests for the next replica), so tests
 * that invent service names must remove them, or the shared broker fills up.
 */
public final class Queues {
  private Queues() {}

  /** Best effort: a queue already gone, or a broker that is down, is not the test's failure. */
  public static void deleteServiceQueues(String amqpUri, String... services) {
    String[] queues = new String[services.length];
    for (int i = 0; i < services.length; i++) {
      queues[i] = "rpc-" + services[i];
    }
    delete(amqpUri, queues);
  }

  /** Deletes queues by name (e.g. durable event queues); best effort, as {@link #deleteServiceQueues}. */
  public static void delete(String amqpUri, String... queues) {
    try {
      ConnectionFactory factory = new ConnectionFactory();
      factory.setUri(amqpUri);
      factory.setConnectionTimeout(5000);
      try (Connection connection = factory.newConnection("nameko4j-test-cleanup")) {
        for (String queue : queues) {
          try (Channel channel = connection.createChannel()) {
            channel.queueDelete(queue);
          } catch (Exception e) {
            // gone already: the next one
          }
        }
      }
    } catch (Exception e) {
      // best effort
    }
  }
}
