package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.github.nameko4j.rpc.BrokerSettings;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.IncorrectSignatureException;
import io.github.nameko4j.rpc.MalformedRequestException;
import io.github.nameko4j.rpc.MethodNotFoundException;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.rpc.RpcContext;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts one service: consumes {@code rpc-<svc>}, runs each request on a bounded worker pool,
 * publishes the reply with a confirm and only then acks the request (PROTOCOL.md §6).
 *
 * <p>Each request is acked on the channel it arrived on; after a reconnection, requests of the
 * old channel are the broker's to redeliver, and are never acked on the new one.
 */
public final class ServerCore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServerCore.class);

  private final String service;
  private final ServiceMethods methods;
  private final int maxWorkers;
  private final int maxMessageSize;
  private final BrokerSettings.QueueType queueType;
  private final ThreadPoolExecutor workers;
  private final ConnectionKeeper keeper;
  private final Publisher publisher;
  private final Instrumentation instrumentation;
  private volatile Channel consumeChannel;
  private volatile String consumerTag;
  private volatile boolean stopping;
  private volatile boolean stopped;

  public ServerCore(BrokerSettings settings, String service, Object handler, int maxWorkers, Instrumentation instrumentation) {
    this.service = service;
    this.instrumentation = instrumentation;
    this.methods = new ServiceMethods(handler);
    this.maxWorkers = maxWorkers;
    this.maxMessageSize = settings.maxMessageSize();
    this.queueType = settings.queueType();
    this.workers = Workers.pool("nameko4j-" + service + "-worker", maxWorkers);
    this.keeper = new ConnectionKeeper(settings, "nameko4j-service-" + service,
        new ConnectionKeeper.Session() {
          @Override
          public void open(Connection connection) throws IOException {
            consume(connection);
          }

          @Override
          public void lost(String why) {
            consumeChannel = null;
          }
        });
    this.publisher = new Publisher(ClientCore.EXCHANGE, "service-" + service, keeper::connection, (key, props) -> { });
    keeper.watch(publisher);
    try {
      keeper.start();
    } catch (RuntimeException e) {
      publisher.close();
      workers.shutdownNow();
      throw e;
    }
    LOG.info("service {} listening on {} (max workers {}, methods {})", service, keeper.broker(), maxWorkers, methods.names());
    Set<String> unnamed = methods.methodsWithoutParameterNames();
    if (!unnamed.isEmpty()) {
      LOG.warn("service {}: methods {} were compiled without -parameters, so keyword arguments cannot bind to their"
          + " parameters by name (callers get IncorrectSignature); compile with -parameters (maven-compiler-plugin"
          + " <parameters>true</parameters>) or name them with @Kwarg", service, unnamed);
    }
  }

  private void consume(Connection connection) throws IOException {
    Channel channel = connection.createChannel();
    channel.exchangeDeclare(ClientCore.EXCHANGE, "topic", true, false, null);
    String queue = "rpc-" + service;
    channel = Queues.declare(connection, channel, queue, true, queueType, "service " + service);
    channel.queueBind(queue, ClientCore.EXCHANGE, service + ".*");
    channel.basicQos(maxWorkers, false);
    consumeChannel = channel;
    consumerTag = channel.basicConsume(queue, false, "nameko4j-" + service + "-" + UUID.randomUUID(), new Requests(channel, connection));
  }

  private final class Requests extends DefaultConsumer {
    private final Connection connection;

    Requests(Channel channel, Connection connection) {
      super(channel);
      this.connection = connection;
    }

    @Override
    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
      Channel channel = getChannel();
      if (HeaderFrames.rejectedIfUnreadable(channel, envelope, props, "service " + service)) {
        return;
      }
      try {
        workers.execute(() -> handle(channel, envelope, props, body));
      } catch (RejectedExecutionException e) {
        // Shutting down: give the request back so another replica answers it, as nameko does.
        try {
          channel.basicReject(envelope.getDeliveryTag(), true);
        } catch (IOException | RuntimeException ex) {
          LOG.debug("could not requeue request while stopping: {}", ex.toString());
        }
      }
    }

    @Override
    public void handleCancel(String tag) {
      // The queue was deleted: declare it again on a new connection.
      keeper.reconnect(connection, "the broker cancelled the consumer of rpc-" + service + " (queue deleted?)");
    }

    @Override
    public void handleShutdownSignal(String tag, ShutdownSignalException cause) {
      if (!cause.isHardError() && !cause.isInitiatedByApplication() && !stopping) {
        keeper.reconnect(connection, "the broker closed the consuming channel (" + ConnectionKeeper.describe(cause) + ")");
      }
    }
  }

  private void handle(Channel channel, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
    String routingKey = envelope.getRoutingKey();
    String method = routingKey.substring(routingKey.lastIndexOf('.') + 1);
    // Continues the caller's trace (nameko.traceparent), current while the method runs.
    Instrumentation.Observed observed = instrumentation.rpcRequest(props.getHeaders(), service, method, props.getCorrelationId());
    Answer answer;
    try (Instrumentation.Scope scope = observed.openScope()) {
      answer = answer(method, props, body);
    } catch (InterruptedException e) {
      // Cut short by stop(): no reply and no ack, so the broker redelivers the request to
      // another replica (or to us once restarted), as it does for nameko.
      LOG.info("{}.{} interrupted by shutdown; the request goes back to the queue", service, method);
      observed.stop(e);
      return;
    }
    observed.stop(answer.raised);
    byte[] reply = answer.reply;
    if (reply.length > maxMessageSize) {
      reply = Json.encodeReply(null, Errors.errorObject("ReplyTooLargeError", "nameko4j.ReplyTooLargeError", List.of(),
          "the reply of " + service + "." + method + " is " + reply.length + " bytes, over the maximum message size of "
              + maxMessageSize + " bytes"));
      LOG.warn("{}.{}: reply of too many bytes replaced by a ReplyTooLargeError", service, method);
    }
    sendReply(channel, envelope.getDeliveryTag(), props, reply, method);
  }

  /** A reply body, and what the method raised (null when it returned). */
  private record Answer(byte[] reply, Throwable raised) {
    static Answer of(byte[] reply) {
      return new Answer(reply, null);
    }
  }

  /** The reply body for a request: its result, or nameko's error object. */
  private Answer answer(String method, AMQP.BasicProperties props, byte[] body) throws InterruptedException {
    Invocation invocation;
    try {
      invocation = decode(method, props, body);
    } catch (RemoteServiceException e) {
      // nameko's own errors about the request, in their own shapes
      if (!(e instanceof MethodNotFoundException)) {
        LOG.debug("{}.{} rejected a request: {}", service, method, e.getMessage());
      }
      return new Answer(Json.encodeReply(null, Errors.errorObject(e.excType(), e.excPath(), e.excArgs(), e.value())), e);
    }
    Object result;
    try {
      result = invocation.run();
    } catch (Throwable t) {
      if (stopping && (t instanceof InterruptedException || Thread.currentThread().isInterrupted())) {
        throw new InterruptedException("stopping");
      }
      LOG.debug("{}.{} raised {}", service, method, t.toString());
      // Whatever the method raised, a downstream RemoteError included, is reported as nameko's
      // serialize() does: a downstream error re-raised here becomes RemoteError.
      return new Answer(Json.encodeReply(null, Errors.toErrorObject(t)), t);
    }
    try {
      return Answer.of(Json.encodeReply(result, null));
    } catch (CodecException e) {
      return new Answer(Json.encodeReply(null, Errors.errorObject("UnserializableValueError",
          "nameko.exceptions.UnserializableValueError", List.of(), "Unserializable value: `" + String.valueOf(result) + "`")), e);
    }
  }

  /** A request decoded and bound to its method, ready to run in its context. */
  private final class Invocation {
    final ServiceMethods.Bound bound;
    final Object[] values;
    final RpcContext context;

    Invocation(ServiceMethods.Bound bound, Object[] values, RpcContext context) {
      this.bound = bound;
      this.values = values;
      this.context = context;
    }

    Object run() throws Throwable {
      try {
        return context.callWith(() -> {
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
  }

  /** Decodes and binds the request; nameko's own errors are thrown as their exceptions. */
  private Invocation decode(String method, AMQP.BasicProperties props, byte[] body) {
    String contentType = props.getContentType();
    if (contentType == null || !contentType.trim().toLowerCase(Locale.ROOT).startsWith("application/json")) {
      throw new MalformedRequestException("Unsupported content type `" + contentType + "`: expected application/json");
    }
    Object decoded;
    try {
      decoded = Json.decode(body, Replies.charsetOf(props));
    } catch (CodecException e) {
      throw new MalformedRequestException("Message body is not valid JSON (" + e.getMessage() + ")");
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
      throw new IncorrectSignatureException(method + "() arguments must be a list and keyword arguments an object");
    }
    @SuppressWarnings("unchecked")
    Object[] values = ServiceMethods.bind(bound, (List<?>) args, (Map<String, ?>) kwargs);
    Map<String, Object> context = Headers.toContext(props.getHeaders());
    Object incomingStack = context.remove(Headers.CALL_ID_STACK);
    List<String> stack = Headers.extend(incomingStack, service + "." + method + "." + Ids.uuid());
    return new Invocation(bound, values, RpcContext.of(service, method, stack, context));
  }

  private void sendReply(Channel channel, long deliveryTag, AMQP.BasicProperties request, byte[] reply, String method) {
    String replyTo = request.getReplyTo();
    if (replyTo == null || replyTo.isEmpty()) {
      LOG.warn("request to {}.{} had no reply_to: ran it, dropped the reply", service, method);
      ack(channel, deliveryTag);
      return;
    }
    AMQP.BasicProperties.Builder props = new AMQP.BasicProperties.Builder()
        .contentType(ClientCore.CONTENT_TYPE)
        .contentEncoding("utf-8")
        .headers(Map.of())
        .deliveryMode(2)
        .priority(0);
    if (request.getCorrelationId() != null) {
      props.correlationId(request.getCorrelationId());
    }
    AMQP.BasicProperties properties = props.build();
    publisher.submit(new Publisher.Outgoing() {
      @Override
      public boolean abandoned() {
        return false;
      }

      @Override
      public String routingKey() {
        return replyTo;
      }

      @Override
      public boolean mandatory() {
        return false;
      }

      @Override
      public AMQP.BasicProperties properties() {
        return properties;
      }

      @Override
      public byte[] body() {
        return reply;
      }

      @Override
      public void confirmed() {
        ack(channel, deliveryTag);
      }

      @Override
      public void refused() {
        LOG.error("broker refused a reply of {}.{} (publisher nack); the caller will time out", service, method);
        ack(channel, deliveryTag);
      }

      @Override
      public void failed(String why, Throwable cause) {
        if (brokerClosedTheChannel(cause)) {
          // The broker refused a reply on this channel (e.g. one over its max_message_size): ack
          // the request so that it is not redelivered and run again, forever.
          LOG.error("reply of {}.{} not delivered: {}; the caller will time out", service, method, why);
          ack(channel, deliveryTag);
        } else {
          // Disconnected or stopping: left unacked, the request is redelivered.
          LOG.warn("reply of {}.{} not sent: {}; the request goes back to the queue", service, method, why);
        }
      }
    });
  }

  private static boolean brokerClosedTheChannel(Throwable cause) {
    return cause instanceof ShutdownSignalException && !((ShutdownSignalException) cause).isHardError()
        && !((ShutdownSignalException) cause).isInitiatedByApplication();
  }

  private static void ack(Channel channel, long deliveryTag) {
    if (!channel.isOpen()) {
      return; // the broker redelivers what an old channel had not acked
    }
    try {
      channel.basicAck(deliveryTag, false);
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not ack request {}: {}", deliveryTag, e.toString());
    }
  }

  public String service() {
    return service;
  }

  /** True while consuming. */
  public boolean connected() {
    Channel c = consumeChannel;
    return c != null && c.isOpen();
  }

  /** Stops taking requests, lets running ones finish (up to {@code grace}), then disconnects. */
  public void stop(Duration grace) {
    if (stopped) {
      return;
    }
    stopped = true;
    stopping = true;
    Channel channel = consumeChannel;
    try {
      if (consumerTag != null && channel != null && channel.isOpen()) {
        channel.basicCancel(consumerTag);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("cancel consumer of {}: {}", service, e.toString());
    }
    workers.shutdown();
    try {
      long deadline = System.nanoTime() + grace.toNanos();
      if (!workers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("service {}: workers still busy after {} ms; their requests will be redelivered", service, grace.toMillis());
        workers.shutdownNow();
      }
      publisher.awaitIdle(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    publisher.close();
    keeper.close();
    LOG.info("service {} stopped", service);
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(10));
  }
}
