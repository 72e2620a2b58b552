package io.github.nameko4j.events;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bare RabbitMQ client for tests that publish or observe exact messages, as a foreign (Python)
 * peer would. Deletes the queues and exchanges it was told to on close.
 */
final class RawAmqp implements AutoCloseable {

  /** One message as it arrived. */
  record Message(Envelope envelope, AMQP.BasicProperties props, byte[] body) {}

  private final Connection connection;
  private final Channel channel;
  private final List<String> queuesToDelete = new ArrayList<>();
  private final List<String> exchangesToDelete = new ArrayList<>();

  RawAmqp(String uri) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    factory.setAutomaticRecoveryEnabled(false);
    connection = factory.newConnection("nameko4j-events-test-raw");
    channel = connection.createChannel();
  }

  /** Declares {@code <source>.events} as nameko does, deleted again on close. */
  String eventsExchange(String source) throws IOException {
    String exchange = source + ".events";
    channel.exchangeDeclare(exchange, "topic", true, false, null);
    exchangesToDelete.add(exchange);
    return exchange;
  }

  /** A private queue bound to {@code exchange} with {@code bindingKey}: everything routed there lands in the result. */
  BlockingQueue<Message> listen(String exchange, String bindingKey) throws IOException {
    String queue = channel.queueDeclare("test-" + UUID.randomUUID(), false, true, true, null).getQueue();
    channel.queueBind(queue, exchange, bindingKey);
    BlockingQueue<Message> received = new LinkedBlockingQueue<>();
    channel.basicConsume(queue, true, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        received.add(new Message(envelope, props, body));
      }
    });
    return received;
  }

  void publish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body) throws IOException {
    channel.basicPublish(exchange, routingKey, false, props, body);
  }

  /** Redeclares a queue with the given flags: succeeds only if they are the flags it already has. */
  void declareAsNamekoWould(String queue, boolean durable, boolean exclusive, boolean autoDelete) throws IOException {
    channel.queueDeclare(queue, durable, exclusive, autoDelete, null);
  }

  /** Messages ready in a queue (passive declare; fails if the queue does not exist). */
  int ready(String queue) throws IOException {
    return channel.queueDeclarePassive(queue).getMessageCount();
  }

  boolean queueExists(String queue) {
    try (Channel probe = connection.createChannel()) {
      probe.queueDeclarePassive(queue);
      return true;
    } catch (Exception e) {
      return false; // 404 closes the probe channel only
    }
  }

  void deleteLater(String queue) {
    queuesToDelete.add(queue);
  }

  static Message take(BlockingQueue<Message> queue, long seconds) throws InterruptedException {
    Message m = queue.poll(seconds, TimeUnit.SECONDS);
    if (m == null) {
      throw new AssertionError("no message within " + seconds + " s");
    }
    return m;
  }

  @Override
  public void close() throws Exception {
    for (String q : queuesToDelete) {
      try {
        channel.queueDelete(q);
      } catch (IOException e) {
        // already gone
      }
    }
    for (String x : exchangesToDelete) {
      try {
        channel.exchangeDelete(x);
      } catch (IOException e) {
        // already gone
      }
    }
    connection.close();
  }
}
