package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A client's reply queue on one connection: exclusive, auto-delete, named and bound afresh on
 * every connection. A fresh name matters: after a network cut the broker may hold the old,
 * half-open connection (and its exclusive queue) for up to two heartbeats; re-declaring the old
 * name would fail with RESOURCE_LOCKED, and a shared non-exclusive queue would let the dead
 * connection keep consuming replies. (Exclusive rather than nameko's {@code x-expires}: it works
 * on RabbitMQ and on the embedded Qpid broker alike, PROTOCOL.md §9.)
 */
final class ReplyQueue {
  private final Connection connection;
  private final String name;
  private final String routingKey;
  private final boolean absoluteExpiration;

  private ReplyQueue(Connection connection, String name, String routingKey) {
    this.connection = connection;
    this.name = name;
    this.routingKey = routingKey;
    this.absoluteExpiration = Brokers.isQpid(connection.getServerProperties());
  }

  /**
   * Declares, binds and consumes a new reply queue. {@code broken} hears, once, that the queue can
   * no longer deliver (its channel closed by the broker, or its consumer cancelled because the
   * queue was deleted); the connection itself dropping is the keeper's to notice.
   */
  static ReplyQueue open(Connection connection, String callerName, BiConsumer<AMQP.BasicProperties, byte[]> onReply,
      Consumer<String> broken) throws IOException {
    String id = Ids.uuid();
    String queue = "rpc.reply-" + callerName + "-" + id;
    Channel channel = connection.createChannel();
    channel.queueDeclare(queue, false, true, true, null);
    channel.queueBind(queue, ClientCore.EXCHANGE, id);
    channel.basicConsume(queue, true, "nameko4j-replies-" + id, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        onReply.accept(props, body);
      }

      @Override
      public void handleCancel(String consumerTag) {
        broken.accept("the reply queue " + queue + " was deleted");
      }

      @Override
      public void handleShutdownSignal(String consumerTag, ShutdownSignalException cause) {
        if (!cause.isHardError() && !cause.isInitiatedByApplication()) {
          broken.accept("the broker closed the reply channel (" + ConnectionKeeper.describe(cause) + ")");
        }
      }
    });
    return new ReplyQueue(connection, queue, id);
  }

  String name() {
    return name;
  }

  Connection connection() {
    return connection;
  }

  /** The expiration property for a request whose caller waits {@code leftMillis} more. */
  String expiration(long leftMillis) {
    return Long.toString(absoluteExpiration ? System.currentTimeMillis() + leftMillis : leftMillis);
  }

  /** The reply_to of requests: the binding key of this queue. */
  String routingKey() {
    return routingKey;
  }
}
