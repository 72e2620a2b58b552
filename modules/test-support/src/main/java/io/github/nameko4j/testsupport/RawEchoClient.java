package io.github.nameko4j.testsupport;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The client of {@link RawEchoServer}: publishes a request (persistent, mandatory, confirmed
 * channel) and waits for the reply on its own exclusive queue, as a nameko client does, with
 * nothing nameko-specific. Thread-safe.
 */
public final class RawEchoClient implements AutoCloseable {
  private final Connection connection;
  private final Channel publish;
  private final Map<String, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
  private final Object publishLock = new Object();
  private final String routingKey;
  private final String replyKey = UUID.randomUUID().toString();
  private final boolean namekoProperties;

  /**
   * @param queue the server's queue
   * @param namekoProperties send the message properties nameko's protocol puts on a request
   *     (content encoding, priority, an expiration and the call id stack header)
   */
  public RawEchoClient(String uri, String queue, boolean namekoProperties) throws Exception {
    this.routingKey = queue + ".echo";
    this.namekoProperties = namekoProperties;
    ConnectionFactory f = new ConnectionFactory();
    f.setUri(uri);
    connection = f.newConnection("raw-echo-client");
    publish = connection.createChannel();
    publish.confirmSelect();
    publish.addConfirmListener((seq, multiple) -> { }, (seq, multiple) -> { });
    Channel replies = connection.createChannel();
    String replyQueue = replies.queueDeclare("raw-echo-reply-" + replyKey, false, true, true, null).getQueue();
    replies.queueBind(replyQueue, RawEchoServer.EXCHANGE, replyKey);
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

  /** One request/reply: the reply's body, within 30 s. */
  public byte[] call(byte[] body) throws Exception {
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
    synchronized (publishLock) {
      publish.basicPublish(RawEchoServer.EXCHANGE, routingKey, true, props, body);
    }
    try {
      return f.get(30, TimeUnit.SECONDS);
    } finally {
      pending.remove(id);
    }
  }

  @Override
  public void close() throws Exception {
    connection.close();
  }
}
