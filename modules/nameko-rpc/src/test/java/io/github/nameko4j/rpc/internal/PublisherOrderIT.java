package io.github.nameko4j.rpc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One thread's messages reach the broker in the order it submitted them. A message over 64 KiB is
 * handed to the publisher's thread; a small one right after it used to be written by the
 * submitting thread while the publisher's thread had taken the big one from its queue but not yet
 * written it, and overtook it (events out of order for subscribers). The publisher's queue here
 * pauses after each take, which holds that window open every time instead of now and then.
 */
@ExtendWith(TestServicesExtension.class)
class PublisherOrderIT {
  private static final int PAIRS = 20;

  /** A queue whose consumer pauses between taking a message and publishing it. */
  private static final class SlowToHandOver extends LinkedBlockingQueue<Publisher.Outgoing> {
    private static final long serialVersionUID = 1L;

    @Override
    public Publisher.Outgoing take() throws InterruptedException {
      Publisher.Outgoing taken = super.take();
      Thread.sleep(20);
      return taken;
    }
  }

  /** A message to the test's queue through the default exchange. */
  private static final class Message implements Publisher.Outgoing {
    final String queue;
    final byte[] body;
    final CountDownLatch confirmed = new CountDownLatch(1);

    Message(String queue, int seq, int size) {
      this.queue = queue;
      byte[] text = (seq + ":" + "x".repeat(size)).getBytes(StandardCharsets.US_ASCII);
      this.body = text;
    }

    @Override
    public boolean abandoned() {
      return false;
    }

    @Override
    public String routingKey() {
      return queue;
    }

    @Override
    public boolean mandatory() {
      return false;
    }

    @Override
    public AMQP.BasicProperties properties() {
      return new AMQP.BasicProperties();
    }

    @Override
    public byte[] body() {
      return body;
    }

    @Override
    public void confirmed() {
      confirmed.countDown();
    }

    @Override
    public void refused() {}

    @Override
    public void failed(String why, Throwable cause) {}
  }

  @Test
  void aSmallMessageNeverOvertakesABigOneTheSameThreadSubmittedBeforeIt(TestServices services) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(services.amqpUri());
    SlowToHandOver handOver = new SlowToHandOver();
    try (Connection connection = factory.newConnection("publisher-order-test");
        Channel reader = connection.createChannel();
        Publisher publisher = new Publisher("", "order-test", () -> connection, (key, props) -> { }, handOver)) {
      String queue = reader.queueDeclare().getQueue();
      Message warmUp = new Message(queue, -1, 1); // opens the channel: small messages may now go inline
      publisher.submit(warmUp);
      assertThat(warmUp.confirmed.await(10, TimeUnit.SECONDS)).isTrue();
      Message last = null;
      for (int i = 0; i < PAIRS; i++) {
        publisher.submit(new Message(queue, 2 * i, 70 * 1024));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!handOver.isEmpty() && System.nanoTime() < deadline) {
          Thread.onSpinWait(); // until the publisher's thread took the big one (and pauses)
        }
        last = new Message(queue, 2 * i + 1, 10);
        publisher.submit(last);
      }
      assertThat(last.confirmed.await(30, TimeUnit.SECONDS)).isTrue();
      List<Integer> order = new ArrayList<>();
      GetResponse r;
      while ((r = reader.basicGet(queue, true)) != null) {
        String body = new String(r.getBody(), StandardCharsets.US_ASCII);
        order.add(Integer.parseInt(body.substring(0, body.indexOf(':'))));
      }
      assertThat(order).hasSize(2 * PAIRS + 1).isSorted();
    }
  }
}
