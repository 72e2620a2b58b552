package io.github.nameko4j.events;

import io.github.nameko4j.cachetools.CacheControl;
import io.github.nameko4j.events.internal.EventNames;
import io.github.nameko4j.events.internal.SubscriberCore;
import io.github.nameko4j.events.internal.Subscription;
import io.github.nameko4j.rpc.BrokerSettings;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.internal.BrokerUri;
import io.github.nameko4j.rpc.internal.Checks;
import io.github.nameko4j.rpc.internal.Instrumentation;
import io.github.nameko4j.rpc.internal.Json;
import io.github.nameko4j.rpc.internal.Names;
import io.github.nameko4j.rpc.internal.ObservationInstrumentation;
import io.github.nameko4j.rpc.observation.DefaultNamekoReceiveConvention;
import io.github.nameko4j.rpc.observation.NamekoObservation;
import io.github.nameko4j.rpc.observation.NamekoReceiveConvention;
import io.micrometer.observation.ObservationRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Handles nameko events in a Java service: the {@link EventHandler} methods of an object, and
 * listeners registered in code, each with nameko's queue (so Java and Python replicas of one
 * service share the work), handler type, reliable delivery and requeue-on-error.
 *
 * <pre>{@code
 * try (EventSubscriber events = EventSubscriber.builder()
 *     .uri("amqp://guest:guest@localhost:5672")
 *     .service("stock", new StockHandlers())                    // its @EventHandler methods
 *     .on("orders", "order_cancelled", event -> restock(event.payload()))
 *     .start()) { ... }
 * }</pre>
 *
 * <p>Each event is acked once its handler returns (at-least-once: after a crash the broker
 * redelivers it, so handlers should be idempotent). Handlers run on up to {@code maxWorkers}
 * threads at once, each in the event's {@link io.github.nameko4j.rpc.RpcContext}; the object
 * must be thread-safe. Reconnects by itself as {@link NamekoRpcClient} does.
 */
public final class EventSubscriber implements AutoCloseable {
  /** Default handler concurrency and prefetch (nameko's {@code max_workers}). */
  public static final int DEFAULT_MAX_WORKERS = 10;
  /** How long an instance's cache invalidation queue outlives its connection (see {@link Builder#invalidate}). */
  public static final Duration INVALIDATION_QUEUE_KEPT = Duration.ofMinutes(5);

  private final SubscriberCore core;
  private final String description;

  private EventSubscriber(Builder b) {
    BrokerSettings settings = b.broker.build();
    this.description = "EventSubscriber{service=" + b.service + ", uri=" + BrokerUri.redact(settings.uri()) + "}";
    this.core = new SubscriberCore(settings, b.service, b.subscriptions, b.maxWorkers,
        settings.observationRegistry() == null ? Instrumentation.NONE
            : ObservationInstrumentation.of(settings.observationRegistry(), null, b.observationConvention));
  }

  /**
   * A builder; {@link Builder#start()} connects and starts consuming.
   *
   * @return a builder with every default
   */
  public static Builder builder() {
    return new Builder();
  }

  /** @return the names of the queues consumed now (a broadcast queue's changes on reconnection) */
  public List<String> queues() {
    return core.queues();
  }

  /** @return true while connected and consuming */
  public boolean isConnected() {
    return core.connected();
  }

  /**
   * Stops consuming, lets running handlers finish (up to {@code grace}), then disconnects;
   * events cut short go back to their queue.
   *
   * @param grace how long running handlers may take
   */
  public void stop(Duration grace) {
    core.stop(Objects.requireNonNull(grace, "grace"));
  }

  /** {@link #stop(Duration)} with 10 seconds' grace. */
  @Override
  public void close() {
    core.close();
  }

  @Override
  public String toString() {
    return description;
  }

  /** Builds an {@link EventSubscriber}. Not thread-safe. */
  public static final class Builder {
    private BrokerSettings.Builder broker = BrokerSettings.builder();
    private String service;
    private int maxWorkers = DEFAULT_MAX_WORKERS;
    private final List<Subscription> subscriptions = new ArrayList<>();
    private int invalidations;
    private final String instanceId = UUID.randomUUID().toString().replace("-", "");
    // Object, not Micrometer types: the builder loads without micrometer-observation.
    private Object observationConvention;

    private Builder() {}

    /**
     * How to reach the broker, and how durable handler queues are declared ({@link
     * BrokerSettings#queueType()}): shared with the service's other components. Replaces what the
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
     * Observes every event handled ({@link NamekoObservation#EVENT_HANDLER}): with a tracing
     * handler registered, each is a span continuing the dispatcher's trace from the event's
     * {@code nameko.traceparent} header, current while the handler runs. Off by default. Needs
     * {@code io.micrometer:micrometer-observation}.
     *
     * @param registry the registry the handlers are registered with
     * @return this builder
     */
    public Builder observationRegistry(ObservationRegistry registry) {
      broker.observationRegistry(registry);
      return this;
    }

    /**
     * Replaces the names and tags of handling observations ({@link DefaultNamekoReceiveConvention}).
     *
     * @param convention the convention
     * @return this builder
     */
    public Builder observationConvention(NamekoReceiveConvention convention) {
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
     * The handling service's name (part of its queue names) and, optionally, objects with
     * {@link EventHandler} methods.
     *
     * @param name the service's nameko name
     * @param handlers objects whose {@link EventHandler} methods handle events
     * @return this builder
     * @throws IllegalArgumentException a handler method is not public, takes other than one
     *     parameter, or asks for a reliable broadcast without an identifier
     */
    public Builder service(String name, Object... handlers) {
      this.service = Names.require("service", name);
      for (Object handler : handlers) {
        Objects.requireNonNull(handler, "handler must not be null");
        int found = 0;
        for (Method m : handler.getClass().getMethods()) {
          EventHandler h = m.getAnnotation(EventHandler.class);
          if (h == null || Modifier.isStatic(m.getModifiers())) {
            continue;
          }
          if (m.getParameterCount() != 1) {
            throw new IllegalArgumentException("@EventHandler " + handler.getClass().getSimpleName() + "." + m.getName()
                + " must take one parameter: the payload, or the Event");
          }
          m.setAccessible(true);
          add(new Subscription(Names.require("@EventHandler source", h.source()),
              EventNames.eventType("@EventHandler eventType", h.eventType()), h.handlerType(), h.reliableDelivery(), h.requeueOnError(),
              name, Names.snakeCase(m.getName()), h.broadcastIdentifier(), invoker(handler, m)));
          found++;
        }
        if (found == 0) {
          throw new IllegalArgumentException(handler.getClass().getName() + " has no public method annotated with @EventHandler");
        }
      }
      return this;
    }

    private static Subscription.Handler invoker(Object target, Method m) {
      Type parameter = m.getGenericParameterTypes()[0];
      boolean wantsEvent = m.getParameterTypes()[0] == Event.class;
      return event -> {
        Object argument = wantsEvent ? event : Json.convert(event.payload(), parameter);
        try {
          m.invoke(target, argument);
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      };
    }

    /**
     * A SERVICE_POOL, reliable handler registered in code, named {@code on_<eventType>} in its queue.
     *
     * @param source the dispatching service
     * @param eventType the event type (topic wildcards allowed)
     * @param listener the handler
     * @return this builder
     * @throws IllegalArgumentException another handler of this subscriber would share its queue
     */
    public Builder on(String source, String eventType, EventListener listener) {
      EventNames.eventType("eventType", eventType);
      return on(source, eventType, "on_" + eventType.replaceAll("[^A-Za-z0-9_]", "_"), HandlerOptions.ofDefaults(), listener);
    }

    /**
     * A handler registered in code, with every option of {@link EventHandler} (a broadcast
     * identifier included).
     *
     * @param source the dispatching service
     * @param eventType the event type (topic wildcards allowed)
     * @param method the handler's name in its queue (as a Python method name would be)
     * @param options handler type, reliable delivery, requeue on error, broadcast identifier
     * @param listener the handler
     * @return this builder
     * @throws IllegalArgumentException another handler of this subscriber would share its queue,
     *     or a reliable BROADCAST without a broadcast identifier
     */
    public Builder on(String source, String eventType, String method, HandlerOptions options, EventListener listener) {
      requireService();
      Objects.requireNonNull(options, "options must not be null");
      Objects.requireNonNull(listener, "listener must not be null");
      return add(new Subscription(Names.require("source", source), EventNames.eventType("eventType", eventType),
          options.handlerType(), options.reliableDelivery(), options.requeueOnError(), service, Names.require("method", method),
          options.broadcastIdentifier(), listener::onEvent));
    }

    /**
     * A handler registered in code: {@link #on(String, String, String, HandlerOptions,
     * EventListener)} without a broadcast identifier.
     *
     * @param source the dispatching service
     * @param eventType the event type (topic wildcards allowed)
     * @param type who handles each event
     * @param reliableDelivery whether the queue outlives the handler
     * @param requeueOnError whether a failed event goes back to the queue
     * @param method the handler's name in its queue (as a Python method name would be)
     * @param listener the handler
     * @return this builder
     */
    public Builder on(String source, String eventType, HandlerType type, boolean reliableDelivery, boolean requeueOnError,
        String method, EventListener listener) {
      return on(source, eventType, method, HandlerOptions.custom().handlerType(Objects.requireNonNull(type, "type must not be null"))
          .reliableDelivery(reliableDelivery).requeueOnError(requeueOnError).build(), listener);
    }

    /**
     * Two handlers on one queue would each get part of the events, as two consumers of one queue
     * do: refused, naming both.
     */
    private Builder add(Subscription added) {
      String queue = added.sharedQueueName();
      if (queue != null) {
        for (Subscription s : subscriptions) {
          if (queue.equals(s.sharedQueueName())) {
            throw new IllegalArgumentException("handlers '" + s + "' and '" + added + "' would consume the same queue " + queue
                + ", so the broker would split the events between them; give them different method names"
                + (added.isSingleton() ? " (SINGLETON handlers of one event share one queue in the whole system: register one)" : ""));
          }
        }
      }
      subscriptions.add(added);
      return this;
    }

    /**
     * Invalidates cached replies when {@code source} dispatches {@code eventType}: the entries,
     * methods or tags {@code invalidation} names, in {@code cache}'s store. No event is lost to a
     * reconnection: with a store shared by the replicas (Redis), one replica handles each event
     * (a reliable SERVICE_POOL queue, {@code evt-<source>-<type>--<service>.invalidate_cache_<n>})
     * and the invalidation reaches every replica through the store; with in-process stores every
     * instance handles it, from a queue of its own that outlives a reconnection for {@link
     * #INVALIDATION_QUEUE_KEPT} (RabbitMQ's {@code x-expires}; events sent while it reconnects wait
     * in it).
     *
     * @param cache a caching proxy ({@code CacheControl.of(typedProxy)} for a typed one)
     * @param source the service that owns the data
     * @param eventType the event that says it changed
     * @param invalidation what to invalidate
     * @return this builder
     */
    public Builder invalidate(CacheControl cache, String source, String eventType, CacheInvalidation invalidation) {
      Objects.requireNonNull(cache, "cache must not be null");
      Objects.requireNonNull(invalidation, "invalidation must not be null");
      requireService();
      String method = "invalidate_cache_" + (++invalidations);
      EventListener handler = event -> invalidation.apply(cache, event).join();
      if (cache.invalidatesEveryReplica()) {
        return on(source, eventType, method, HandlerOptions.ofDefaults(), handler);
      }
      return add(Subscription.perInstance(Names.require("source", source), EventNames.eventType("eventType", eventType), service,
          method, instanceId, INVALIDATION_QUEUE_KEPT, handler::onEvent));
    }

    /**
     * Handlers run at once, and the prefetch. Default 10.
     *
     * @param maxWorkers from 1 to 10000
     * @return this builder
     */
    public Builder maxWorkers(int maxWorkers) {
      this.maxWorkers = Checks.maxWorkers(maxWorkers);
      return this;
    }

    /**
     * How long connecting may take. Default 10 s.
     *
     * @param connectTimeout positive
     * @return this builder
     */
    public Builder connectTimeout(Duration connectTimeout) {
      broker.connectTimeout(connectTimeout);
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

    private void requireService() {
      if (service == null) {
        throw new IllegalStateException("service(name) must be set first: it names the handlers' queues");
      }
    }

    /**
     * Connects, declares the exchanges and queues, and starts consuming.
     *
     * @return the running subscriber
     * @throws IllegalStateException no service or no handler
     * @throws io.github.nameko4j.rpc.TransportException the broker cannot be reached
     */
    public EventSubscriber start() {
      requireService();
      Checks.conventionNeedsRegistry(observationConvention, broker.build().observationRegistry());
      if (subscriptions.isEmpty()) {
        throw new IllegalStateException("no event handler: give objects with @EventHandler methods, or on(...)/invalidate(...)");
      }
      return new EventSubscriber(this);
    }
  }
}
