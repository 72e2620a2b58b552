package io.github.nameko4j.events.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.github.nameko4j.events.Event;
import io.github.nameko4j.rpc.BrokerSettings;
import io.github.nameko4j.rpc.RpcContext;
import io.github.nameko4j.rpc.internal.BrokerUri;
import io.github.nameko4j.rpc.internal.ConnectionKeeper;
import io.github.nameko4j.rpc.internal.HeaderFrames;
import io.github.nameko4j.rpc.internal.Headers;
import io.github.nameko4j.rpc.internal.Ids;
import io.github.nameko4j.rpc.internal.Instrumentation;
import io.github.nameko4j.rpc.internal.Queues;
import io.github.nameko4j.rpc.internal.Brokers;
import io.github.nameko4j.rpc.internal.Workers;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the queues of a set of event handlers, as nameko does (EVENTS.md §1-§5): declares the
 * source's events exchange and each handler's queue on every connection, runs each event on a
 * bounded worker pool in the event's context, and acks it after the handler returns (or requeues
 * it, when the handler raised and asks for that). Acks go to the channel the event arrived on; an
 * event of a lost connection is the broker's to redeliver. Thread-safe.
 */
public final class SubscriberCore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SubscriberCore.class);

  private final String service;
  private final List<Subscription> subscriptions;
  private final int maxWorkers;
  private final ThreadPoolExecutor workers;
  private final ConnectionKeeper keeper;
  private final Instrumentation instrumentation;
  private final BrokerSettings.QueueType queueType;
  private final List<String> queues = new ArrayList<>(); // of the current connection
  private final List<String> consumerTags = new ArrayList<>(); // guarded by queues
  private volatile Channel channel;
  private volatile boolean stopping;

  public SubscriberCore(BrokerSettings settings, String service, List<Subscription> subscriptions, int maxWorkers,
      Instrumentation instrumentation) {
    this.queueType = settings.queueType();
    this.service = service;
    this.instrumentation = instrumentation;
    this.subscriptions = List.copyOf(subscriptions);
    this.maxWorkers = maxWorkers;
    this.workers = Workers.pool("nameko4j-" + service + "-events", maxWorkers);
    this.keeper = new ConnectionKeeper(settings, "nameko4j-events-" + service,
        new ConnectionKeeper.Session() {
          @Override
          public void open(Connection connection) throws IOException {
            consume(connection);
          }

          @Override
          public void lost(String why) {
            channel = null;
          }
        });
    try {
      keeper.start();
    } catch (RuntimeException e) {
      workers.shutdownNow();
      throw e;
    }
    LOG.info("{} handling events: {}", service, this.subscriptions);
  }

  private void consume(Connection connection) throws IOException {
    // Declared on a channel of their own: a queue that exists with other arguments closes the
    // channel that declared it, and the consumers must not be on that one.
    Channel declaring = connection.createChannel();
    List<String> declared = new ArrayList<>();
    boolean expiringQueues = !Brokers.isQpid(connection.getServerProperties());
    for (Subscription s : subscriptions) {
      // As nameko's handlers do: the source's exchange exists before anyone dispatches to it.
      declaring.exchangeDeclare(s.exchange(), "topic", true, false, null);
      Subscription.QueueSpec q = s.queue(expiringQueues);
      if (q.durable() && !q.exclusive() && !q.autoDelete() && q.arguments() == null) {
        declaring = Queues.declare(connection, declaring, q.name(), true, queueType, s.toString()); // may be a quorum queue
      } else {
        declaring.queueDeclare(q.name(), q.durable(), q.exclusive(), q.autoDelete(), q.arguments());
      }
      declaring.queueBind(q.name(), s.exchange(), s.eventType);
      declared.add(q.name());
    }
    closeQuietly(declaring);
    Channel ch = connection.createChannel();
    ch.basicQos(maxWorkers, false);
    List<String> tags = new ArrayList<>();
    for (int i = 0; i < subscriptions.size(); i++) {
      tags.add(ch.basicConsume(declared.get(i), false, new Deliveries(ch, connection, subscriptions.get(i))));
    }
    synchronized (queues) {
      queues.clear();
      queues.addAll(declared);
      consumerTags.clear();
      consumerTags.addAll(tags);
    }
    channel = ch;
  }

  private static void closeQuietly(Channel ch) {
    try {
      ch.close();
    } catch (IOException | TimeoutException | RuntimeException e) {
      // only used to declare
    }
  }

  /** The queues consumed on the current connection, e.g. for tests and tools. */
  public List<String> queues() {
    synchronized (queues) {
      return List.copyOf(queues);
    }
  }

  /** True while consuming. */
  public boolean connected() {
    Channel c = channel;
    return c != null && c.isOpen();
  }

  private final class Deliveries extends DefaultConsumer {
    private final Connection connection;
    private final Subscription subscription;

    Deliveries(Channel channel, Connection connection, Subscription subscription) {
      super(channel);
      this.connection = connection;
      this.subscription = subscription;
    }

    @Override
    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
      Channel ch = getChannel();
      if (HeaderFrames.rejectedIfUnreadable(ch, envelope, props, subscription.toString())) {
        return;
      }
      try {
        workers.execute(() -> handle(ch, subscription, envelope, props, body));
      } catch (RejectedExecutionException e) {
        // Stopping: give the event back without running it, as nameko does.
        settle(ch, envelope.getDeliveryTag(), true);
      }
    }

    @Override
    public void handleCancel(String tag) {
      keeper.reconnect(connection, "the broker cancelled the consumer of " + subscription + " (queue deleted?)");
    }

    @Override
    public void handleShutdownSignal(String tag, ShutdownSignalException cause) {
      if (!cause.isHardError() && !cause.isInitiatedByApplication() && !stopping) {
        keeper.reconnect(connection, "the broker closed the events channel (" + cause.getMessage() + ")");
      }
    }
  }

  private void handle(Channel ch, Subscription s, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
    EventCodec.Decoded decoded = EventCodec.decode(props, body);
    if (decoded.dropped()) {
      // As a Python handler does: logged, acked, never redelivered to fail again.
      LOG.warn("{}: dropping an event {}.{} it cannot read: {}", s, s.source, envelope.getRoutingKey(), decoded.dropReason());
      settle(ch, envelope.getDeliveryTag(), false);
      return;
    }
    Map<String, Object> context = Headers.toContext(props.getHeaders());
    Object incomingStack = context.remove(Headers.CALL_ID_STACK);
    List<String> stack = Headers.extend(incomingStack, s.service + "." + s.method + "." + Ids.uuid());
    RpcContext rpcContext = RpcContext.of(s.service, s.method, stack, context);
    Event event = new Event(s.source, envelope.getRoutingKey(), decoded.payload(), rpcContext, envelope.isRedeliver());
    // Continues the dispatcher's trace (nameko.traceparent), current while the handler runs.
    Instrumentation.Observed observed = instrumentation.eventHandling(props.getHeaders(), s.source, envelope.getRoutingKey(),
        s.service, s.method);
    try (Instrumentation.Scope scope = observed.openScope()) {
      rpcContext.callWith(() -> {
        try {
          s.handler.handle(event);
        } catch (Exception e) {
          throw e;
        } catch (Throwable t) {
          throw new HandlerError(t);
        }
        return null;
      });
      observed.stop(null);
      settle(ch, envelope.getDeliveryTag(), false);
    } catch (Exception e) {
      Throwable cause = e instanceof HandlerError ? e.getCause() : e;
      observed.stop(cause);
      if (stopping && (cause instanceof InterruptedException || Thread.currentThread().isInterrupted())) {
        LOG.info("{}: interrupted by shutdown; the event goes back to the queue", s);
        return; // unacked: redelivered
      }
      if (s.requeueOnError) {
        LOG.warn("{} raised {}; the event goes back to the queue (requeue on error)", s, cause.toString());
        settle(ch, envelope.getDeliveryTag(), true);
      } else {
        LOG.warn("{} raised {}; the event is dropped", s, cause.toString(), cause);
        settle(ch, envelope.getDeliveryTag(), false);
      }
    }
  }

  /** Carries an Error out of the handler as a failed event. */
  private static final class HandlerError extends Exception {
    private static final long serialVersionUID = 1L;

    HandlerError(Throwable cause) {
      super(cause);
    }
  }

  /** Acks, or rejects with requeue, on the channel the event came from, if it is still open. */
  private static void settle(Channel ch, long tag, boolean requeue) {
    if (!ch.isOpen()) {
      return; // the broker redelivers what an old channel had not acked
    }
    try {
      if (requeue) {
        ch.basicReject(tag, true);
      } else {
        ch.basicAck(tag, false);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not settle event {}: {}", tag, e.toString());
    }
  }

  /** Stops consuming, lets running handlers finish (up to {@code grace}), then disconnects. */
  public void stop(Duration grace) {
    if (stopping) {
      return;
    }
    stopping = true;
    Channel ch = channel;
    if (ch != null && ch.isOpen()) {
      try {
        List<String> tags;
        synchronized (queues) {
          tags = List.copyOf(consumerTags);
        }
        for (String tag : tags) {
          ch.basicCancel(tag);
        }
      } catch (IOException | RuntimeException e) {
        LOG.debug("cancel consumers of {}: {}", service, e.toString());
      }
    }
    workers.shutdown();
    try {
      if (!workers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("{}: event handlers still busy after {} ms; their events will be redelivered", service, grace.toMillis());
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    keeper.close();
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(10));
  }
}
