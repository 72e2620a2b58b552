package io.github.nameko4j.testsupport;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The baseline of the RPC benchmarks: the plainest request/reply server on the RabbitMQ Java client
 * with the delivery settings of a nameko service (topic exchange, durable queue, persistent
 * messages, publisher confirms, manual ack once the reply is confirmed, prefetch = workers) and
 * nothing nameko-specific: no JSON, no headers, no argument binding. Runs in the caller's JVM or,
 * through {@link #main}, in a process of its own, as a service does. Not thread-safe to close
 * twice; every other method is.
 */
public final class RawEchoServer implements AutoCloseable {
  /** The exchange nameko services listen on; the raw echo uses it too, so routing costs the same. */
  public static final String EXCHANGE = "nameko-rpc";

  /** The reply of an echo of "hello", as a nameko service writes it. */
  public static final byte[] HELLO = "{\"result\":\"hello\",\"error\":null}".getBytes(StandardCharsets.UTF_8);

  private final Connection connection;
  private final Channel consume;
  private final Channel publish;
  private final ExecutorService workers;
  private final ConcurrentNavigableMap<Long, Long> toAck = new ConcurrentSkipListMap<>();
  private final Object publishLock = new Object();
  private final String queue;
  private final boolean namekoProperties;
  private final byte[] reply;

  /**
   * @param queue the queue to declare and consume; clients publish to {@code queue + ".echo"}
   * @param namekoProperties answer with the message properties nameko's protocol puts on a reply
   *     (content encoding, priority, a header table), so a row can tell the wire format's cost from
   *     the library's
   * @param reply the body of every reply, or null to answer each request with its own body (a
   *     reply as large as the request, never parsed)
   */
  public RawEchoServer(String uri, String queue, int workers, boolean namekoProperties, byte[] reply) throws Exception {
    this.queue = queue;
    this.namekoProperties = namekoProperties;
    this.reply = reply;
    ConnectionFactory f = new ConnectionFactory();
    f.setUri(uri);
    connection = f.newConnection("raw-echo-server");
    this.workers = Executors.newFixedThreadPool(workers);
    publish = connection.createChannel();
    publish.confirmSelect();
    consume = connection.createChannel();
    publish.addConfirmListener(new ConfirmListener() {
      @Override
      public void handleAck(long seq, boolean multiple) throws IOException {
        ack(seq, multiple);
      }

      @Override
      public void handleNack(long seq, boolean multiple) throws IOException {
        ack(seq, multiple);
      }
    });
    consume.exchangeDeclare(EXCHANGE, "topic", true, false, null);
    consume.queueDeclare(queue, true, false, false, null);
    consume.queueBind(queue, EXCHANGE, queue + ".*");
    consume.basicQos(workers);
    consume.basicConsume(queue, false, new DefaultConsumer(consume) {
      @Override
      public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
        RawEchoServer.this.workers.execute(() -> respond(env.getDeliveryTag(), props, body));
      }
    });
  }

  /**
   * {@code RawEchoServer URI QUEUE WORKERS NAMEKO_PROPERTIES(true|false) hello|mirror}: serves until
   * its standard input closes or it is terminated; prints {@code ready} once consuming.
   */
  public static void main(String[] args) throws Exception {
    try (RawEchoServer server = new RawEchoServer(args[0], args[1], Integer.parseInt(args[2]), Boolean.parseBoolean(args[3]),
        args[4].equals("mirror") ? null : HELLO)) {
      CountDownLatch stop = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
      System.out.println("ready");
      System.out.flush();
      Thread stdin = new Thread(() -> {
        try {
          while (System.in.read() >= 0) {
            // the parent writes nothing; end of input means it is gone
          }
        } catch (IOException e) {
          // the same
        }
        stop.countDown();
      });
      stdin.setDaemon(true);
      stdin.start();
      stop.await();
    }
  }

  private void ack(long seq, boolean multiple) throws IOException {
    if (multiple) {
      ConcurrentNavigableMap<Long, Long> head = toAck.headMap(seq, true);
      for (Long tag : head.values()) {
        consume.basicAck(tag, false);
      }
      head.clear();
    } else {
      Long tag = toAck.remove(seq);
      if (tag != null) {
        consume.basicAck(tag, false);
      }
    }
  }

  private void respond(long deliveryTag, AMQP.BasicProperties request, byte[] body) {
    AMQP.BasicProperties.Builder builder = new AMQP.BasicProperties.Builder()
        .contentType("application/json").deliveryMode(2).correlationId(request.getCorrelationId());
    if (namekoProperties) {
      builder.contentEncoding("utf-8").headers(Map.of()).priority(0);
    }
    AMQP.BasicProperties props = builder.build();
    try {
      synchronized (publishLock) {
        toAck.put(publish.getNextPublishSeqNo(), deliveryTag);
        publish.basicPublish(EXCHANGE, request.getReplyTo(), false, props, reply == null ? body : reply);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws Exception {
    try {
      consume.queueDelete(queue);
    } finally {
      workers.shutdownNow();
      connection.close();
    }
  }
}
