package io.github.nameko4j.rpc;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A bare RabbitMQ client for tests that must publish or observe exact messages. */
final class RawAmqp implements AutoCloseable {
  static final String EXCHANGE = "nameko-rpc";

  /** One message as it arrived. */
  static final class Message {
    final Envelope envelope;
    final AMQP.BasicProperties props;
    final byte[] body;

    Message(Envelope envelope, AMQP.BasicProperties props, byte[] body) {
      this.envelope = envelope;
      this.props = props;
      this.body = body;
    }

    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final Connection connection;
  final Channel channel;
  private final List<String> queuesToDelete = new ArrayList<>();

  RawAmqp(String uri) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    factory.setAutomaticRecoveryEnabled(false);
    connection = factory.newConnection("nameko4j-test-raw");
    channel = connection.createChannel();
    channel.exchangeDeclare(EXCHANGE, "topic", true, false, null);
  }

  /** Another channel on this connection (e.g. after the broker closed one). */
  Channel newChannel() throws IOException {
    return connection.createChannel();
  }

  /** A queue bound to nameko-rpc with {@code bindingKey}; everything it receives lands in the returned queue. */
  BlockingQueue<Message> listen(String bindingKey) throws IOException {
    String queue = channel.queueDeclare("test-" + UUID.randomUUID(), false, true, true, null).getQueue();
    channel.queueBind(queue, EXCHANGE, bindingKey);
    return consume(queue, true);
  }

  /** Consumes an existing queue (e.g. a service queue, acting as a fake service). */
  BlockingQueue<Message> consume(String queue, boolean autoAck) throws IOException {
    BlockingQueue<Message> received = new LinkedBlockingQueue<>();
    channel.basicConsume(queue, autoAck, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        received.add(new Message(envelope, props, body));
      }
    });
    return received;
  }

  /** Declares a service queue as nameko does, deleted again on close. */
  String serviceQueue(String service) throws IOException {
    String queue = "rpc-" + service;
    channel.queueDeclare(queue, true, false, false, null);
    channel.queueBind(queue, EXCHANGE, service + ".*");
    queuesToDelete.add(queue);
    return queue;
  }

  void deleteLater(String queue) {
    queuesToDelete.add(queue);
  }

  void publish(String routingKey, AMQP.BasicProperties props, byte[] body) throws IOException {
    channel.basicPublish(EXCHANGE, routingKey, false, props, body);
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
    connection.close();
  }
}
