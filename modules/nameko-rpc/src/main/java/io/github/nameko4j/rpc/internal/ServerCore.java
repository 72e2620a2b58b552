package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.MalformedRequestException;
import io.github.nameko4j.rpc.MethodNotFoundException;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.rpc.RpcContext;
import io.github.nameko4j.rpc.TransportException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts one service: consumes {@code rpc-<svc>}, runs each request on a bounded worker pool,
 * publishes the reply with a confirm and only then acks the request (PROTOCOL.md §6).
 */
public final class ServerCore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServerCore.class);

  private final String service;
  private final String redactedUri;
  private final ServiceMethods methods;
  private final Connection connection;
  private final Channel consumeChannel;
  private final Channel publishChannel;
  private final ThreadPoolExecutor workers;
  private final Object publishLock = new Object();
  // publish sequence number → delivery tag of the request to ack once the reply is confirmed
  private final ConcurrentNavigableMap<Long, Long> awaitingConfirm = new ConcurrentSkipListMap<>();
  private volatile String consumerTag;
  private volatile boolean stopping;

  public ServerCore(String uri, String service, Object handler, int maxWorkers, Duration connectTimeout) {
    this.service = service;
    this.redactedUri = AmqpUris.redact(uri);
    this.methods = new ServiceMethods(handler);
    AtomicInteger threads = new AtomicInteger();
    this.workers =
        new ThreadPoolExecutor(maxWorkers, maxWorkers, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "nameko4j-" + service + "-worker-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    try {
      this.connection = AmqpUris.factory(uri, connectTimeout).newConnection("nameko4j-service-" + service);
    } catch (IOException | java.util.concurrent.TimeoutException e) {
      workers.shutdownNow();
      throw AmqpUris.cannotConnect(uri, e);
    }
    try {
      this.publishChannel = connection.createChannel();
      publishChannel.confirmSelect();
      publishChannel.addConfirmListener(new Confirms());
      this.consumeChannel = connection.createChannel();
      consumeChannel.exchangeDeclare(ClientCore.EXCHANGE, "topic", true, false, null);
      String queue = "rpc-" + service;
      consumeChannel.queueDeclare(queue, true, false, false, null);
      consumeChannel.queueBind(queue, ClientCore.EXCHANGE, service + ".*");
      consumeChannel.basicQos(maxWorkers, false);
      consumerTag = consumeChannel.basicConsume(queue, false, "nameko4j-" + service + "-" + UUID.randomUUID(), new Requests());
    } catch (IOException | RuntimeException e) {
      close();
      throw new TransportException("cannot host service " + service + " on " + redactedUri + ": " + e.getMessage(), e);
    }
    // Publish sequence numbers restart on the recovered channel and the old delivery tags are
    // void (those requests are redelivered): forget what was waiting for a confirm.
    connection.addShutdownListener(cause -> awaitingConfirm.clear());
    LOG.info("service {} listening on {} (max workers {}, methods {})", service, redactedUri, maxWorkers, methods.names());
  }

  private final class Requests extends DefaultConsumer {
    Requests() {
      super(consumeChannel);
    }

    @Override
    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
      try {
        workers.execute(() -> handle(envelope, props, body));
      } catch (RejectedExecutionException e) {
        // Shutting down: give the request back so another replica answers it, as nameko does.
        try {
          consumeChannel.basicReject(envelope.getDeliveryTag(), true);
        } catch (IOException | AlreadyClosedException ex) {
          LOG.debug("could not requeue request while stopping: {}", ex.toString());
        }
      }
    }
  }

  private void handle(Envelope envelope, AMQP.BasicProperties props, byte[] body) {
    String routingKey = envelope.getRoutingKey();
    String method = routingKey.substring(routingKey.lastIndexOf('.') + 1);
    byte[] reply;
    try {
      Object result = dispatch(method, props, body);
      try {
        reply = Json.encodeReply(result, null);
      } catch (CodecException e) {
        String repr = String.valueOf(result);
        reply = Json.encodeReply(null, Errors.errorObject("UnserializableValueError",
            "nameko.exceptions.UnserializableValueError", List.of(), "Unserializable value: `" + repr + "`"));
      }
    } catch (RemoteServiceException e) {
      reply = Json.encodeReply(null, Errors.errorObject(e.excType(), e.excPath(), e.excArgs(), e.value()));
      if (!(e instanceof MethodNotFoundException)) {
        LOG.debug("{}.{} rejected a request: {}", service, method, e.getMessage());
      }
    } catch (Throwable t) {
      if (stopping && (t instanceof InterruptedException || Thread.currentThread().isInterrupted())) {
        // Cut short by stop(): no reply and no ack, so the broker redelivers the request to
        // another replica (or to us once restarted), as it does for nameko.
        LOG.info("{}.{} interrupted by shutdown; the request goes back to the queue", service, method);
        return;
      }
      LOG.debug("{}.{} raised {}", service, method, t.toString());
      reply = Json.encodeReply(null, Errors.toErrorObject(t));
    }
    sendReply(envelope.getDeliveryTag(), props, reply, method);
  }

  /** Decodes, binds and runs the request; nameko's own errors are thrown as their exceptions. */
  private Object dispatch(String method, AMQP.BasicProperties props, byte[] body) throws Throwable {
    String contentType = props.getContentType();
    if (contentType == null || !contentType.trim().toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      throw new MalformedRequestException("Unsupported content type `" + contentType + "`: expected application/json");
    }
    Object decoded;
    try {
      decoded = Json.decode(body, ClientCore.charsetOf(props));
    } catch (CodecException e) {
      throw new MalformedRequestException("Message body is not valid JSON");
    }
    if (!(decoded instanceof Map)) {
      throw new MalformedRequestException("Message body is not a JSON object");
    }
    Map<?, ?> request = (Map<?, ?>) decoded;
    Object args = request.get("args");
    Object kwargs = request.get("kwargs");
    if (!request.containsKey("args") || !request.containsKey("kwargs")) {
      throw new MalformedRequestException("Message missing `args` or `kwargs`");
    }
    ServiceMethods.Bound bound = methods.find(method);
    if (bound == null) {
      throw new MethodNotFoundException(method);
    }
    if (!(args instanceof List) || !(kwargs instanceof Map)) {
      throw new io.github.nameko4j.rpc.IncorrectSignatureException(
          method + "() arguments must be a list and keyword arguments an object");
    }
    @SuppressWarnings("unchecked")
    Object[] values = ServiceMethods.bind(bound, (List<?>) args, (Map<String, ?>) kwargs);
    Map<String, Object> context = Headers.toContext(props.getHeaders());
    Object incomingStack = context.remove(Headers.CALL_ID_STACK);
    List<String> stack = Headers.extend(incomingStack, service + "." + method + "." + Ids.uuid());
    RpcContext rpcContext = RpcContext.of(service, method, stack, context);
    try {
      return rpcContext.callWith(() -> {
        try {
          return methods.invoke(bound, values);
        } catch (Exception e) {
          throw e;
        } catch (Throwable t) {
          throw new ExecutionException(t);
        }
      });
    } catch (ExecutionException e) {
      throw e.getCause();
    }
  }

  private void sendReply(long deliveryTag, AMQP.BasicProperties request, byte[] reply, String method) {
    String replyTo = request.getReplyTo();
    if (replyTo == null || replyTo.isEmpty()) {
      LOG.warn("request to {}.{} had no reply_to: ran it, dropped the reply", service, method);
      ack(deliveryTag);
      return;
    }
    AMQP.BasicProperties.Builder props =
        new AMQP.BasicProperties.Builder()
            .contentType("application/json")
            .contentEncoding("utf-8")
            .headers(Map.of())
            .deliveryMode(2)
            .priority(0);
    if (request.getCorrelationId() != null) {
      props.correlationId(request.getCorrelationId());
    }
    try {
      synchronized (publishLock) {
        awaitingConfirm.put(publishChannel.getNextPublishSeqNo(), deliveryTag);
        publishChannel.basicPublish(ClientCore.EXCHANGE, replyTo, false, props.build(), reply);
      }
    } catch (IOException | AlreadyClosedException e) {
      // The request stays unacked; the broker redelivers it once we are reconnected.
      LOG.warn("could not publish reply of {}.{}: {}", service, method, e.toString());
    }
  }

  private void ack(long deliveryTag) {
    try {
      consumeChannel.basicAck(deliveryTag, false);
    } catch (IOException | AlreadyClosedException e) {
      LOG.debug("could not ack request {}: {}", deliveryTag, e.toString());
    }
  }

  private final class Confirms implements ConfirmListener {
    @Override
    public void handleAck(long seq, boolean multiple) {
      for (Long tag : take(seq, multiple)) {
        ack(tag);
      }
    }

    @Override
    public void handleNack(long seq, boolean multiple) {
      for (Long tag : take(seq, multiple)) {
        LOG.error("broker refused a reply of {} (publisher nack); the caller will time out", service);
        ack(tag);
      }
    }

    private List<Long> take(long seq, boolean multiple) {
      if (!multiple) {
        Long tag = awaitingConfirm.remove(seq);
        return tag == null ? List.of() : List.of(tag);
      }
      ConcurrentNavigableMap<Long, Long> head = awaitingConfirm.headMap(seq, true);
      List<Long> tags = List.copyOf(head.values());
      head.clear();
      return tags;
    }
  }

  public String service() {
    return service;
  }

  /** Stops taking requests, lets running ones finish (up to {@code grace}), then disconnects. */
  public void stop(Duration grace) {
    stopping = true;
    try {
      if (consumerTag != null && consumeChannel != null && consumeChannel.isOpen()) {
        consumeChannel.basicCancel(consumerTag);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("cancel consumer of {}: {}", service, e.toString());
    }
    workers.shutdown();
    try {
      if (!workers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("service {}: workers still busy after {} ms; their requests will be redelivered", service, grace.toMillis());
        workers.shutdownNow();
      }
      if (publishChannel != null && publishChannel.isOpen()) {
        publishChannel.waitForConfirms(grace.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
      LOG.debug("waiting for confirms of {}: {}", service, e.toString());
    }
    try {
      if (connection != null) {
        connection.close(5000);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("closing connection of {}: {}", service, e.toString());
    }
    LOG.info("service {} stopped", service);
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(10));
  }
}
