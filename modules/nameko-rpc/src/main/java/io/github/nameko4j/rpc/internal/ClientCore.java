package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.github.nameko4j.rpc.BrokerSettings;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.NamekoException;
import io.github.nameko4j.rpc.RpcContext;
import io.github.nameko4j.rpc.RpcTimeoutException;
import io.github.nameko4j.rpc.TransportException;
import io.github.nameko4j.rpc.UnknownServiceException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's transport: one connection kept by a {@link ConnectionKeeper}, requests published
 * by a {@link Publisher} thread, replies consumed from a {@link ReplyQueue} that is new on every
 * connection, pending calls keyed by correlation id. Every call leaves {@link #pending} on exactly
 * one path: its reply, its timeout, a return or nack, a failed publish, the loss of its reply
 * queue, or close. Thread-safe.
 */
public final class ClientCore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClientCore.class);
  public static final String EXCHANGE = "nameko-rpc";
  static final String CONTENT_TYPE = "application/json";
  /** How long a nack waits for the basic.return that some brokers (Qpid) send around it. */
  private static final long NACK_GRACE_MILLIS = 200;

  private final String callerName;
  private final Map<String, Object> contextData;
  private final int maxMessageSize;
  private final ScheduledExecutorService timer;
  private final Map<String, Call> pending = new ConcurrentHashMap<>();
  private final ConnectionKeeper keeper;
  private final Publisher publisher;
  private final Instrumentation instrumentation;
  private volatile ReplyQueue replies; // of the current connection; null while reconnecting
  private volatile boolean closed;

  public ClientCore(BrokerSettings settings, String callerName, Instrumentation instrumentation) {
    this.callerName = callerName;
    this.instrumentation = instrumentation;
    this.contextData = settings.contextData();
    this.maxMessageSize = settings.maxMessageSize();
    ScheduledThreadPoolExecutor timeouts = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "nameko4j-client-timeouts-" + callerName);
      t.setDaemon(true);
      return t;
    });
    // Most timeouts are cancelled by their reply: drop them at once rather than hold them for 30 s.
    timeouts.setRemoveOnCancelPolicy(true);
    this.timer = timeouts;
    this.keeper = new ConnectionKeeper(settings, "nameko4j-client-" + callerName,
        new ConnectionKeeper.Session() {
          @Override
          public void open(Connection connection) throws IOException {
            openReplies(connection);
          }

          @Override
          public void lost(String why) {
            onLost(why);
          }
        });
    // Publish only on a connection whose reply queue is ready: reply_to must name it.
    this.publisher = new Publisher(EXCHANGE, "client-" + callerName, () -> {
      ReplyQueue r = replies;
      return r == null ? null : r.connection();
    }, this::onReturn);
    keeper.watch(publisher);
    try {
      keeper.start();
    } catch (RuntimeException e) {
      publisher.close();
      timer.shutdownNow();
      throw e;
    }
  }

  private void openReplies(Connection connection) throws IOException {
    Channel setup = connection.createChannel();
    setup.exchangeDeclare(EXCHANGE, "topic", true, false, null);
    try {
      setup.close(); // declaring is done; publishing uses the publisher's own channel
    } catch (TimeoutException e) {
      throw new IOException("closing the setup channel timed out", e);
    }
    replies = ReplyQueue.open(connection, callerName, this::onReply,
        why -> keeper.reconnect(connection, why));
  }

  /** The reply queue died with its connection: no call waiting on it can get its reply any more. */
  private void onLost(String why) {
    replies = null;
    failAll(() -> new TransportException("connection to broker " + keeper.broker() + " lost while the call was in flight (" + why + ")"));
  }

  /** Publishes a request and returns the future of its decoded result. */
  public CompletableFuture<Object> call(
      String service, String method, List<?> args, Map<String, ?> kwargs, Duration timeout, RpcContext context) {
    if (closed) {
      return CompletableFuture.failedFuture(new TransportException("RPC client is closed"));
    }
    byte[] body;
    Map<String, Object> headers;
    try {
      body = Json.encodeRequest(args, kwargs);
      headers = headersFor(context);
    } catch (CodecException e) {
      return CompletableFuture.failedFuture(new CodecException("cannot call " + service + "." + method + ": " + e.getMessage(), e));
    }
    if (body.length > maxMessageSize) {
      return CompletableFuture.failedFuture(new CodecException("cannot call " + service + "." + method + ": the request is "
          + body.length + " bytes, over the maximum message size of " + maxMessageSize + " bytes"));
    }
    String correlationId = Ids.uuid();
    // Before the headers go out: a tracing handler writes the trace context into them.
    Instrumentation.Observed observed = instrumentation.rpcCall(headers, service, method, correlationId);
    if (replies == null) {
      // Fail fast while reconnecting, so callers (and the caching proxies) can fall back at once.
      TransportException down = new TransportException(
          "cannot call " + service + "." + method + ": not connected to broker " + keeper.broker() + " (reconnecting)");
      observed.stop(down);
      return CompletableFuture.failedFuture(down);
    }
    Call call = new Call(correlationId, service, method, body, headers, timeout);
    if (observed != Instrumentation.Observed.NONE) {
      call.future.whenComplete((result, error) -> observed.stop(error));
    }
    pending.put(call.correlationId, call);
    call.timeoutTask = timer.schedule(() -> fail(call, new RpcTimeoutException(service, method, timeout)),
        timeout.toNanos(), TimeUnit.NANOSECONDS);
    publisher.submit(call);
    return call.future;
  }

  private Map<String, Object> headersFor(RpcContext context) {
    if (context != null && !context.extendsClientData()) {
      return Headers.fromContext(context.data(), context.callIdStack());
    }
    return Headers.fromContext(context == null ? contextData : Headers.merge(contextData, context.data()),
        List.of(callerName + ".call." + Ids.uuid()));
  }

  /** One request in flight. */
  private final class Call implements Publisher.Outgoing {
    final String correlationId;
    final String service;
    final String method;
    final byte[] body;
    final Map<String, Object> headers;
    final long deadlineNanos;
    final CompletableFuture<Object> future = new CompletableFuture<>();
    volatile ScheduledFuture<?> timeoutTask;

    Call(String correlationId, String service, String method, byte[] body, Map<String, Object> headers, Duration timeout) {
      this.correlationId = correlationId;
      this.service = service;
      this.method = method;
      this.body = body;
      this.headers = headers;
      this.deadlineNanos = System.nanoTime() + timeout.toNanos();
    }

    @Override
    public boolean abandoned() {
      return future.isDone();
    }

    @Override
    public String routingKey() {
      return service + "." + method;
    }

    @Override
    public boolean mandatory() {
      return true;
    }

    @Override
    public AMQP.BasicProperties properties() {
      ReplyQueue r = replies;
      // The request expires when its caller stops waiting: a request nobody waits for any more is
      // dropped by the broker, never executed by a service that comes back later.
      long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
      return new AMQP.BasicProperties.Builder()
          .contentType(CONTENT_TYPE)
          .contentEncoding("utf-8")
          .headers(headers)
          .deliveryMode(2)
          .priority(0)
          .correlationId(correlationId)
          .replyTo(r == null ? "" : r.routingKey())
          .expiration(r == null ? Long.toString(left) : r.expiration(left))
          .build();
    }

    @Override
    public byte[] body() {
      return body;
    }

    @Override
    public void confirmed() {
      // the reply completes the call
    }

    @Override
    public void refused() {
      // Some brokers (Qpid) nack an unroutable mandatory publish around its basic.return: give the
      // return a moment to classify the failure as an unknown service. Nacks are rare otherwise.
      timer.schedule(() -> fail(this, new TransportException("broker refused the request to " + routingKey() + " (publisher nack)")),
          NACK_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void failed(String why, Throwable cause) {
      fail(this, new TransportException("cannot call " + routingKey() + " on " + keeper.broker() + ": " + why, cause));
    }
  }

  private void fail(Call call, NamekoException error) {
    if (pending.remove(call.correlationId, call)) {
      cancelTimeout(call);
      call.future.completeExceptionally(error);
    }
  }

  private static void cancelTimeout(Call call) {
    ScheduledFuture<?> task = call.timeoutTask;
    if (task != null) {
      task.cancel(false);
    }
  }

  private void failAll(Supplier<NamekoException> error) {
    for (Call call : new ArrayList<>(pending.values())) {
      fail(call, error.get());
    }
  }

  private void onReturn(String routingKey, AMQP.BasicProperties props) {
    String correlationId = props.getCorrelationId();
    Call call = correlationId == null ? null : pending.get(correlationId);
    if (call != null) {
      fail(call, new UnknownServiceException(call.service));
    }
  }

  private void onReply(AMQP.BasicProperties props, byte[] body) {
    String correlationId = props.getCorrelationId();
    Call call = correlationId == null ? null : pending.remove(correlationId);
    if (call == null) {
      LOG.debug("dropping reply with unknown or expired correlation id {}", correlationId);
      return;
    }
    cancelTimeout(call);
    String unreadable = HeaderFrames.unreadable(props);
    if (unreadable != null) {
      call.future.completeExceptionally(new TransportException("the reply of " + call.service + "." + call.method
          + " cannot be read: " + unreadable));
      return;
    }
    Replies.complete(call.future, props, body, call.service, call.method);
  }

  public ScheduledExecutorService timer() {
    return timer;
  }

  /** Calls in flight, for tests and metrics. */
  public int inFlight() {
    return pending.size();
  }

  /** Requests queued for publishing or waiting for their confirm, for tests and metrics. */
  public int unpublished() {
    return publisher.outstanding();
  }

  /** The name of the current reply queue, or null while reconnecting; for tests. */
  public String replyQueue() {
    ReplyQueue r = replies;
    return r == null ? null : r.name();
  }

  /** True while connected with a reply queue ready. */
  public boolean connected() {
    return replies != null;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    failAll(() -> new TransportException("RPC client closed while the call was in flight"));
    publisher.close();
    keeper.close();
    timer.shutdownNow();
  }
}
