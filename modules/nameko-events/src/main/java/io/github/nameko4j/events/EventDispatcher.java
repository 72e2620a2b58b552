package io.github.nameko4j.events;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.github.nameko4j.events.internal.EventCodec;
import io.github.nameko4j.events.internal.EventNames;
import io.github.nameko4j.rpc.BrokerSettings;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.NamekoException;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.RpcContext;
import io.github.nameko4j.rpc.TransportException;
import io.github.nameko4j.rpc.internal.BrokerUri;
import io.github.nameko4j.rpc.internal.Checks;
import io.github.nameko4j.rpc.internal.ConnectionKeeper;
import io.github.nameko4j.rpc.internal.Futures;
import io.github.nameko4j.rpc.internal.Headers;
import io.github.nameko4j.rpc.internal.Instrumentation;
import io.github.nameko4j.rpc.internal.Names;
import io.github.nameko4j.rpc.internal.ObservationInstrumentation;
import io.github.nameko4j.rpc.internal.Publisher;
import io.github.nameko4j.rpc.observation.DefaultNamekoSendConvention;
import io.github.nameko4j.rpc.observation.NamekoObservation;
import io.github.nameko4j.rpc.observation.NamekoSendConvention;
import io.micrometer.observation.ObservationRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Dispatches nameko events from one source service, as nameko's {@code EventDispatcher} does
 * (EVENTS.md §2): to the topic exchange {@code <source>.events}, routing key = the event type, the
 * bare JSON payload, persistent, with publisher confirms.
 *
 * <pre>{@code
 * try (EventDispatcher events = EventDispatcher.builder().uri("amqp://guest:guest@localhost").source("products").build()) {
 *   events.dispatch("product_updated", Map.of("id", 42));
 * }
 * }</pre>
 *
 * <p>Dispatched inside a service method, an event carries that method's context (context data,
 * and the call id stack ending with the method's own call id), as nameko's in-service dispatcher
 * does; elsewhere it carries the builder's context data, or none, as nameko's standalone
 * dispatcher. The exchange is declared on every connection. A dispatch returns once the broker
 * has the event; like nameko, it never learns whether a handler was listening. Thread-safe;
 * reconnects by itself.
 */
public final class EventDispatcher implements AutoCloseable {
  /** Default wait for the broker's confirm. */
  public static final Duration DEFAULT_CONFIRM_TIMEOUT = Duration.ofSeconds(10);

  private final String source;
  private final String exchange;
  private final Map<String, Object> contextData;
  private final Duration confirmTimeout;
  private final int maxMessageSize;
  private final ConnectionKeeper keeper;
  private final Publisher publisher;
  private final ScheduledThreadPoolExecutor timer;
  private final Instrumentation instrumentation;
  private final String description;
  private volatile Connection ready; // the connection whose exchange is declared

  private EventDispatcher(Builder b) {
    BrokerSettings settings = b.broker.build();
    this.source = b.source;
    this.exchange = b.source + ".events";
    this.contextData = settings.contextData();
    this.confirmTimeout = b.confirmTimeout;
    this.maxMessageSize = settings.maxMessageSize();
    this.instrumentation = settings.observationRegistry() == null ? Instrumentation.NONE
        : ObservationInstrumentation.of(settings.observationRegistry(), b.observationConvention, null);
    this.description = "EventDispatcher{source=" + source + ", uri=" + BrokerUri.redact(settings.uri()) + "}";
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "nameko4j-events-timeouts-" + source);
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    this.keeper = new ConnectionKeeper(settings, "nameko4j-dispatch-" + source,
        new ConnectionKeeper.Session() {
          @Override
          public void open(Connection connection) throws IOException {
            try (Channel ch = connection.createChannel()) {
              ch.exchangeDeclare(exchange, "topic", true, false, null);
            } catch (TimeoutException e) {
              throw new IOException("declaring " + exchange + " timed out", e);
            }
            ready = connection;
          }

          @Override
          public void lost(String why) {
            ready = null; // messages waiting for their confirm fail with the channel
          }
        });
    // Publish only once the exchange is declared on the connection: else a 404 closes the channel.
    this.publisher = new Publisher(exchange, "events-" + source, () -> {
      Connection c = ready;
      return c != null && c.isOpen() ? c : null;
    }, (key, props) -> { });
    keeper.watch(publisher);
    try {
      keeper.start();
    } catch (RuntimeException e) {
      publisher.close();
      timer.shutdownNow();
      throw e;
    }
  }

  /**
   * A builder; {@link Builder#build()} connects.
   *
   * @return a builder with every default
   */
  public static Builder builder() {
    return new Builder();
  }

  /** @return the service the events come from */
  public String source() {
    return source;
  }

  /**
   * Dispatches an event and waits for the broker's confirm.
   *
   * @param eventType the event type (the routing key handlers bind with)
   * @param payload any JSON-encodable value: Map, List, String, number, Boolean, null...
   * @throws CodecException the payload cannot be sent as JSON, or is over the size limit (nothing is sent)
   * @throws TransportException not connected, refused by the broker, or no confirm in time
   * @throws NamekoException interrupted while waiting (the event may still go out)
   */
  public void dispatch(String eventType, Object payload) {
    Futures.await(dispatchAsync(eventType, payload), "the broker's confirm of event " + source + "." + eventType);
  }

  /**
   * Dispatches an event without waiting; the future completes on the broker's confirm and fails
   * as {@link #dispatch} throws.
   *
   * @param eventType the event type
   * @param payload the payload
   * @return the confirm's future
   */
  public CompletableFuture<Void> dispatchAsync(String eventType, Object payload) {
    EventNames.eventType("eventType", eventType);
    byte[] body;
    Map<String, Object> headers;
    try {
      body = EventCodec.encode(payload);
      headers = headers();
    } catch (CodecException e) {
      return CompletableFuture.failedFuture(new CodecException("cannot dispatch " + source + "." + eventType + ": " + e.getMessage(), e));
    }
    if (body.length > maxMessageSize) {
      return CompletableFuture.failedFuture(new CodecException("cannot dispatch " + source + "." + eventType + ": the payload is "
          + body.length + " bytes, over the maximum message size of " + maxMessageSize + " bytes"));
    }
    CompletableFuture<Void> confirmed = new CompletableFuture<>();
    // Before the headers go out: a tracing handler writes the trace context into them.
    Instrumentation.Observed observed = instrumentation.eventDispatch(headers, source, eventType);
    if (observed != Instrumentation.Observed.NONE) {
      confirmed.whenComplete((v, e) -> observed.stop(e));
    }
    AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
        .contentType(EventCodec.CONTENT_TYPE)
        .contentEncoding("utf-8")
        .headers(headers)
        .deliveryMode(2)
        .priority(0)
        .build();
    ScheduledFuture<?> timeout = timer.schedule(() -> confirmed.completeExceptionally(new TransportException("no confirm for event "
        + source + "." + eventType + " from " + keeper.broker() + " within " + confirmTimeout.toMillis() + " ms")),
        confirmTimeout.toNanos(), TimeUnit.NANOSECONDS);
    confirmed.whenComplete((v, e) -> timeout.cancel(false));
    publisher.submit(new Publisher.Outgoing() {
      @Override
      public boolean abandoned() {
        return confirmed.isDone();
      }

      @Override
      public String routingKey() {
        return eventType;
      }

      @Override
      public boolean mandatory() {
        return false;
      }

      @Override
      public AMQP.BasicProperties properties() {
        return props;
      }

      @Override
      public byte[] body() {
        return body;
      }

      @Override
      public void confirmed() {
        confirmed.complete(null);
      }

      @Override
      public void refused() {
        confirmed.completeExceptionally(new TransportException("the broker refused event " + source + "." + eventType + " (nack)"));
      }

      @Override
      public void failed(String why, Throwable cause) {
        confirmed.completeExceptionally(new TransportException("cannot dispatch " + source + "." + eventType + " to "
            + keeper.broker() + ": " + why, cause));
      }
    });
    return confirmed;
  }

  /** The context of the service method dispatching, else the builder's context data, else none. */
  private Map<String, Object> headers() {
    RpcContext context = RpcContext.current().orElse(null);
    if (context != null && !context.extendsClientData()) {
      return Headers.fromContext(context.data(), context.callIdStack());
    }
    Map<String, Object> headers = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : (context == null ? contextData : Headers.merge(contextData, context.data())).entrySet()) {
      Headers.check(e.getKey(), e.getValue());
      headers.put(Headers.PREFIX + e.getKey(), e.getValue());
    }
    return headers;
  }

  /** @return true while connected */
  public boolean isConnected() {
    Connection c = ready;
    return c != null && c.isOpen();
  }

  /** Stops publishing (events not yet confirmed fail) and disconnects. Idempotent. */
  @Override
  public void close() {
    publisher.close();
    keeper.close();
    timer.shutdownNow();
  }

  @Override
  public String toString() {
    return description;
  }

  /** Builds an {@link EventDispatcher}. Not thread-safe. */
  public static final class Builder {
    private BrokerSettings.Builder broker = BrokerSettings.builder();
    private String source;
    private Duration confirmTimeout = DEFAULT_CONFIRM_TIMEOUT;
    // Object, not Micrometer types: the builder loads without micrometer-observation.
    private Object observationConvention;

    private Builder() {}

    /**
     * How to reach the broker, shared with the service's other components. Replaces what the
     * other broker setters of this builder set before.
     *
     * @param settings the settings
     * @return this builder
     */
    public Builder broker(BrokerSettings settings) {
      this.broker = Objects.requireNonNull(settings, "settings must not be null").toBuilder();
      return this;
    }

    /**
     * Observes every dispatch ({@link NamekoObservation#EVENT_DISPATCH}): with a tracing handler
     * registered, each is a span, child of the current one, and its trace context travels in the
     * event's {@code nameko.traceparent} header. Off by default (no header added). Needs {@code
     * io.micrometer:micrometer-observation}.
     *
     * @param registry the registry the handlers are registered with
     * @return this builder
     */
    public Builder observationRegistry(ObservationRegistry registry) {
      broker.observationRegistry(registry);
      return this;
    }

    /**
     * Replaces the names and tags of dispatch observations ({@link DefaultNamekoSendConvention}).
     *
     * @param convention the convention
     * @return this builder
     */
    public Builder observationConvention(NamekoSendConvention convention) {
      this.observationConvention = Objects.requireNonNull(convention, "convention must not be null");
      return this;
    }

    /**
     * The broker, as for {@link NamekoRpcClient.Builder#uri}.
     *
     * @param uri the broker URI
     * @return this builder
     */
    public Builder uri(String uri) {
      broker.uri(uri);
      return this;
    }

    /**
     * The service the events come from: they go to {@code <source>.events}. Required.
     *
     * @param source the dispatching service's nameko name
     * @return this builder
     */
    public Builder source(String source) {
      this.source = Names.require("source", source);
      return this;
    }

    /**
     * Context data sent with events dispatched outside a service method.
     *
     * @param key the context key, e.g. {@code language}
     * @param value a value AMQP headers can carry
     * @return this builder
     */
    public Builder contextData(String key, Object value) {
      broker.contextData(key, value);
      return this;
    }

    /**
     * How long a dispatch waits for the broker's confirm. Default 10 s.
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder confirmTimeout(Duration timeout) {
      this.confirmTimeout = Checks.positive("confirmTimeout", timeout);
      return this;
    }

    /**
     * How long connecting may take. Default 10 s.
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder connectTimeout(Duration timeout) {
      broker.connectTimeout(timeout);
      return this;
    }

    /**
     * The AMQP heartbeat. Default 10 s.
     *
     * @param heartbeat between 1 s and 1 h
     * @return this builder
     */
    public Builder heartbeat(Duration heartbeat) {
      broker.heartbeat(heartbeat);
      return this;
    }

    /**
     * The largest event body, in bytes. Default 128 MiB.
     *
     * @param bytes from 1024 to 512 MiB
     * @return this builder
     */
    public Builder maxMessageSize(int bytes) {
      broker.maxMessageSize(bytes);
      return this;
    }

    /**
     * Connects and declares the source's events exchange.
     *
     * @return the dispatcher
     * @throws IllegalStateException no source was given
     * @throws TransportException the broker cannot be reached
     */
    public EventDispatcher build() {
      if (source == null) {
        throw new IllegalStateException("source(name) must be set: events go to <source>.events");
      }
      Checks.conventionNeedsRegistry(observationConvention, broker.build().observationRegistry());
      return new EventDispatcher(this);
    }
  }
}
