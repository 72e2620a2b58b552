package io.github.nameko4j.benchmarks;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The baseline for the RPC round trip: the plainest request/reply on the RabbitMQ Java client with
 * the same delivery settings as ours (topic exchange, durable queue, persistent messages,
 * publisher confirms, mandatory requests, manual ack after the confirmed reply, same prefetch and
 * worker count), minus everything nameko-specific: no JSON, no headers, no argument binding.
 */
final class RawEcho implements AutoCloseable {
  static final String EXCHANGE = "nameko-rpc";
  private final Connection serverConnection;
  private final Connection clientConnection;
  private final Channel serverConsume;
  private final Channel serverPublish;
  private final Channel clientPublish;
  private final ExecutorService workers;
  private final String queue = "bench-raw-" + UUID.randomUUID().toString().substring(0, 8);
  private final String replyKey = UUID.randomUUID().toString();
  private final Map<String, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
  private final ConcurrentNavigableMap<Long, Long> toAck = new ConcurrentSkipListMap<>();
  private final Object serverLock = new Object();
  private final Object clientLock = new Object();
  private final byte[] reply;
  private final boolean namekoProperties;

  RawEcho(String uri, int workers, byte[] reply) throws Exception {
    this(uri, workers, reply, false);
  }

  /**
   * @param namekoProperties carry the message properties nameko's protocol needs (content encoding,
   *     priority, a call id stack header, and on requests an expiration), so that a row can tell the
   *     cost of the wire format from the cost of the library
   */
  RawEcho(String uri, int workers, byte[] reply, boolean namekoProperties) throws Exception {
    this.reply = reply;
    this.namekoProperties = namekoProperties;
    ConnectionFactory f = new ConnectionFactory();
    f.setUri(uri);
    serverConnection = f.newConnection("bench-raw-server");
    clientConnection = f.newConnection("bench-raw-client");
    this.workers = Executors.newFixedThreadPool(workers);
    serverPublish = serverConnection.createChannel();
    serverPublish.confirmSelect();
    serverConsume = serverConnection.createChannel();
    serverPublish.addConfirmListener(new ConfirmListener() {
      @Override
      public void handleAck(long seq, boolean multiple) throws IOException {
        ack(seq, multiple);
      }

      @Override
      public void handleNack(long seq, boolean multiple) throws IOException {
        ack(seq, multiple);
      }
    });
    serverConsume.exchangeDeclare(EXCHANGE, "topic", true, false, null);
    serverConsume.queueDeclare(queue, true, false, false, null);
    serverConsume.queueBind(queue, EXCHANGE, queue + ".*");
    serverConsume.basicQos(workers);
    serverConsume.basicConsume(queue, false, new DefaultConsumer(serverConsume) {
      @Override
      public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
        RawEcho.this.workers.execute(() -> respond(env.getDeliveryTag(), props));
      }
    });

    clientPublish = clientConnection.createChannel();
    clientPublish.confirmSelect();
    clientPublish.addConfirmListener((seq, multiple) -> { }, (seq, multiple) -> { });
    Channel replies = clientConnection.createChannel();
    String replyQueue = replies.queueDeclare("bench-raw-reply-" + replyKey, false, true, true, null).getQueue();
    replies.queueBind(replyQueue, EXCHANGE, replyKey);
    replies.basicConsume(replyQueue, true, new DefaultConsumer(replies) {
      @Override
      public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
        CompletableFuture<byte[]> f = pending.remove(props.getCorrelationId());
        if (f != null) {
          f.complete(body);
        }
      }
    });
  }

  private void ack(long seq, boolean multiple) throws IOException {
    if (multiple) {
      ConcurrentNavigableMap<Long, Long> head = toAck.headMap(seq, true);
      for (Long tag : head.values()) {
        serverConsume.basicAck(tag, false);
      }
      head.clear();
    } else {
      Long tag = toAck.remove(seq);
      if (tag != null) {
        serverConsume.basicAck(tag, false);
      }
    }
  }

  private void respond(long deliveryTag, AMQP.BasicProperties request) {
    AMQP.BasicProperties.Builder builder = new AMQP.BasicProperties.Builder()
        .contentType("application/json").deliveryMode(2).correlationId(request.getCorrelationId());
    if (namekoProperties) {
      builder.contentEncoding("utf-8").headers(Map.of()).priority(0);
    }
    AMQP.BasicProperties props = builder.build();
    try {
      synchronized (serverLock) {
        toAck.put(serverPublish.getNextPublishSeqNo(), deliveryTag);
        serverPublish.basicPublish(EXCHANGE, request.getReplyTo(), false, props, reply);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One request/reply, waiting for the reply. */
  byte[] call(byte[] body) throws Exception {
    String id = UUID.randomUUID().toString();
    CompletableFuture<byte[]> f = new CompletableFuture<>();
    pending.put(id, f);
    AMQP.BasicProperties.Builder builder = new AMQP.BasicProperties.Builder()
        .contentType("application/json").deliveryMode(2).correlationId(id).replyTo(replyKey);
    if (namekoProperties) {
      builder.contentEncoding("utf-8").priority(0).expiration("30000")
          .headers(Map.of("nameko.call_id_stack", List.of("standalone_rpc_proxy.call." + id)));
    }
    AMQP.BasicProperties props = builder.build();
    synchronized (clientLock) {
      clientPublish.basicPublish(EXCHANGE, queue + ".echo", true, props, body);
    }
    return f.get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    serverConsume.queueDelete(queue);
    workers.shutdownNow();
    clientConnection.close();
    serverConnection.close();
  }
}
