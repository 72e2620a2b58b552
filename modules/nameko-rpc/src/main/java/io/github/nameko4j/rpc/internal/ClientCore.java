package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.NamekoException;
import io.github.nameko4j.rpc.RpcContext;
import io.github.nameko4j.rpc.RpcTimeoutException;
import io.github.nameko4j.rpc.TransportException;
import io.github.nameko4j.rpc.UnknownServiceException;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's transport: one connection, one publishing channel in confirm mode, one reply queue
 * consumed on its own channel, pending calls keyed by correlation id. Thread-safe.
 */
public final class ClientCore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClientCore.class);
  public static final String EXCHANGE = "nameko-rpc";
  private static final String CONTENT_TYPE = "application/json";

  private final String callerName;
  private final String redactedUri;
  private final Map<String, Object> contextData;
  private final Connection connection;
  private final Channel publishChannel;
  private final Channel replyChannel;
  private final String replyRoutingKey;
  private final ScheduledExecutorService timer;
  private final Object publishLock = new Object();
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final ConcurrentNavigableMap<Long, String> unconfirmed = new ConcurrentSkipListMap<>();
  private volatile boolean closed;

  private static final class Pending {
    final CompletableFuture<Object> future = new CompletableFuture<>();
    final String service;
    final String method;
    volatile ScheduledFuture<?> timeoutTask;

    Pending(String service, String method) {
      this.service = service;
      this.method = method;
    }
  }

  public ClientCore(String uri, String callerName, Map<String, Object> contextData, Duration connectTimeout) {
    this.callerName = callerName;
    this.redactedUri = AmqpUris.redact(uri);
    this.contextData = Map.copyOf(contextData);
    ConnectionFactory factory = AmqpUris.factory(uri, connectTimeout);
    String uuid = UUID.randomUUID().toString();
    this.replyRoutingKey = uuid;
    try {
      this.connection = factory.newConnection("nameko4j-client-" + callerName);
    } catch (IOException | java.util.concurrent.TimeoutException e) {
      throw AmqpUris.cannotConnect(uri, e);
    }
    try {
      this.publishChannel = connection.createChannel();
      publishChannel.exchangeDeclare(EXCHANGE, "topic", true, false, null);
      publishChannel.confirmSelect();
      publishChannel.addReturnListener(r -> onReturn(r.getRoutingKey(), r.getProperties()));
      publishChannel.addConfirmListener(new Confirms());
      this.replyChannel = connection.createChannel();
      String queue = "rpc.reply-" + callerName + "-" + uuid;
      // Exclusive and auto-delete rather than nameko's x-expires: works on RabbitMQ and Qpid alike (PROTOCOL.md §9).
      replyChannel.queueDeclare(queue, false, true, true, null);
      replyChannel.queueBind(queue, EXCHANGE, replyRoutingKey);
      replyChannel.basicConsume(queue, true, "nameko4j-replies-" + uuid, new Replies(replyChannel));
    } catch (IOException | RuntimeException e) {
      closeQuietly();
      throw new TransportException("cannot set up RPC client on " + redactedUri + ": " + e.getMessage(), e);
    }
    connection.addShutdownListener(this::onShutdown);
    java.util.concurrent.ScheduledThreadPoolExecutor timeouts =
        new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
          Thread t = new Thread(r, "nameko4j-client-timeouts-" + callerName);
          t.setDaemon(true);
          return t;
        });
    // Most timeouts are cancelled by their reply: drop them at once rather than hold them for 30 s.
    timeouts.setRemoveOnCancelPolicy(true);
    this.timer = timeouts;
  }

  /** Publishes a request and returns the future of its decoded result. */
  public CompletableFuture<Object> call(
      String service, String method, List<?> args, Map<String, ?> kwargs, Duration timeout, RpcContext context) {
    if (closed) {
      return CompletableFuture.failedFuture(new TransportException("RPC client is closed"));
    }
    byte[] body;
    try {
      body = Json.encodeRequest(args, kwargs);
    } catch (CodecException e) {
      return CompletableFuture.failedFuture(
          new CodecException("cannot call " + service + "." + method + ": " + e.getMessage(), e));
    }
    String correlationId = Ids.uuid();
    AMQP.BasicProperties props =
        new AMQP.BasicProperties.Builder()
            .contentType(CONTENT_TYPE)
            .contentEncoding("utf-8")
            .headers(headersFor(context))
            .deliveryMode(2)
            .priority(0)
            .correlationId(correlationId)
            .replyTo(replyRoutingKey)
            .build();
    Pending call = new Pending(service, method);
    pending.put(correlationId, call);
    if (timeout != null) {
      call.timeoutTask =
          timer.schedule(
              () -> fail(correlationId, new RpcTimeoutException(service, method, timeout)),
              timeout.toNanos(),
              TimeUnit.NANOSECONDS);
    }
    try {
      synchronized (publishLock) {
        unconfirmed.put(publishChannel.getNextPublishSeqNo(), correlationId);
        publishChannel.basicPublish(EXCHANGE, service + "." + method, true, props, body);
      }
    } catch (IOException | AlreadyClosedException e) {
      fail(correlationId, new TransportException(
          "cannot publish " + service + "." + method + " to " + redactedUri + ": " + e.getMessage(), e));
    }
    return call.future;
  }

  private Map<String, Object> headersFor(RpcContext context) {
    if (context != null) {
      return Headers.fromContext(context.data(), context.callIdStack());
    }
    return Headers.fromContext(contextData, List.of(callerName + ".call." + Ids.uuid()));
  }

  private void fail(String correlationId, NamekoException error) {
    Pending call = pending.remove(correlationId);
    if (call != null) {
      cancelTimeout(call);
      call.future.completeExceptionally(error);
    }
  }

  private static void cancelTimeout(Pending call) {
    ScheduledFuture<?> task = call.timeoutTask;
    if (task != null) {
      task.cancel(false);
    }
  }

  private void onReturn(String routingKey, AMQP.BasicProperties props) {
    String correlationId = props.getCorrelationId();
    String service = routingKey.contains(".") ? routingKey.substring(0, routingKey.indexOf('.')) : routingKey;
    if (correlationId != null) {
      fail(correlationId, new UnknownServiceException(service));
    }
  }

  private final class Confirms implements ConfirmListener {
    @Override
    public void handleAck(long deliveryTag, boolean multiple) {
      forget(deliveryTag, multiple);
    }

    @Override
    public void handleNack(long deliveryTag, boolean multiple) {
      // Some brokers (Qpid) nack an unroutable mandatory publish around its basic.return: give the
      // return a moment to classify the failure as an unknown service. Nacks are rare otherwise.
      for (String correlationId : forget(deliveryTag, multiple)) {
        timer.schedule(
            () -> fail(correlationId, new TransportException("broker refused the request (publisher nack)")),
            200, TimeUnit.MILLISECONDS);
      }
    }

    private List<String> forget(long deliveryTag, boolean multiple) {
      if (!multiple) {
        String id = unconfirmed.remove(deliveryTag);
        return id == null ? List.of() : List.of(id);
      }
      ConcurrentNavigableMap<Long, String> head = unconfirmed.headMap(deliveryTag, true);
      List<String> ids = new ArrayList<>(head.values());
      head.clear();
      return ids;
    }
  }

  private final class Replies extends DefaultConsumer {
    Replies(Channel channel) {
      super(channel);
    }

    @Override
    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
      String correlationId = props.getCorrelationId();
      Pending call = correlationId == null ? null : pending.remove(correlationId);
      if (call == null) {
        LOG.debug("dropping reply with unknown or expired correlation id {}", correlationId);
        return;
      }
      cancelTimeout(call);
      try {
        Object reply = Json.decode(body, charsetOf(props));
        if (!(reply instanceof Map)) {
          throw new CodecException("reply is not a JSON object");
        }
        Map<?, ?> map = (Map<?, ?>) reply;
        Object error = map.get("error");
        if (Errors.isError(error)) {
          call.future.completeExceptionally(Errors.fromErrorObject(error));
        } else {
          call.future.complete(map.get("result"));
        }
      } catch (CodecException e) {
        LOG.warn("unreadable reply from {}.{}: {}", call.service, call.method, e.getMessage());
        call.future.completeExceptionally(
            new CodecException("unreadable reply from " + call.service + "." + call.method + ": " + e.getMessage(), e));
      }
    }
  }

  static Charset charsetOf(AMQP.BasicProperties props) {
    String encoding = props.getContentEncoding();
    if (encoding == null || encoding.isBlank()) {
      return StandardCharsets.UTF_8;
    }
    // Python codec names ("latin-1", "utf_8") are not all Java aliases; "latin1", "utf8" are.
    for (String name : new String[] {encoding.trim(), encoding.trim().replace("-", "").replace("_", "")}) {
      try {
        return Charset.forName(name);
      } catch (IllegalArgumentException e) {
        // try the next spelling
      }
    }
    return StandardCharsets.UTF_8;
  }

  private void onShutdown(ShutdownSignalException cause) {
    if (cause.isInitiatedByApplication() && closed) {
      return;
    }
    LOG.warn("connection to {} lost ({}); failing {} call(s) in flight, reconnecting",
        redactedUri, cause.getMessage(), pending.size());
    unconfirmed.clear();
    for (String correlationId : new ArrayList<>(pending.keySet())) {
      fail(correlationId, new TransportException(
          "connection to broker " + redactedUri + " lost while the call was in flight"));
    }
  }

  public ScheduledExecutorService timer() {
    return timer;
  }

  /** Calls in flight, for tests and metrics. */
  public int inFlight() {
    return pending.size();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (String correlationId : new ArrayList<>(pending.keySet())) {
      fail(correlationId, new TransportException("RPC client closed while the call was in flight"));
    }
    timer.shutdownNow();
    closeQuietly();
  }

  private void closeQuietly() {
    try {
      if (connection != null && connection.isOpen()) {
        connection.close(5000);
      } else if (connection != null) {
        connection.abort(1000);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("error closing connection to {}: {}", redactedUri, e.toString());
    }
  }
}
