package io.github.nameko4j.events.internal;

import io.github.nameko4j.events.Event;
import io.github.nameko4j.events.HandlerType;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * One event handler: what it listens to, how its queue is named and declared (EVENTS.md §1.2), and
 * what runs per event.
 */
public final class Subscription {
  /** Runs the handler for one event. */
  @FunctionalInterface
  public interface Handler {
    void handle(Event event) throws Throwable;
  }

  final String source;
  final String eventType;
  final HandlerType type;
  final boolean reliable;
  final boolean requeueOnError;
  final String service;
  final String method;
  final String broadcastIdentifier; // null: a new random one per connection
  final Handler handler;
  // A per-instance queue that outlives a reconnection for this long: events sent while the
  // connection was down wait in it (Java-only handlers, such as cache invalidation); null: none.
  final Duration keptAfterDisconnect;

  /**
   * @throws IllegalArgumentException a reliable broadcast without a stable identifier (nameko refuses it too)
   */
  public Subscription(String source, String eventType, HandlerType type, boolean reliable, boolean requeueOnError,
      String service, String method, String broadcastIdentifier, Handler handler) {
    this(source, eventType, type, reliable, requeueOnError, service, method, broadcastIdentifier, handler, null);
  }

  /**
   * A BROADCAST handler of this instance whose queue outlives a reconnection for {@code kept}: a
   * queue of its own ({@code instanceId} in its name), neither exclusive nor auto-delete, that the
   * broker deletes once unused for {@code kept} (RabbitMQ's {@code x-expires}). On a broker without
   * {@code x-expires} (Qpid) it is exclusive, as an unreliable broadcast's.
   */
  public static Subscription perInstance(String source, String eventType, String service, String method, String instanceId,
      Duration kept, Handler handler) {
    return new Subscription(source, eventType, HandlerType.BROADCAST, false, false, service, method, instanceId, handler, kept);
  }

  private Subscription(String source, String eventType, HandlerType type, boolean reliable, boolean requeueOnError,
      String service, String method, String broadcastIdentifier, Handler handler, Duration keptAfterDisconnect) {
    this.keptAfterDisconnect = keptAfterDisconnect;
    this.source = source;
    this.eventType = eventType;
    this.type = type;
    this.reliable = reliable;
    this.requeueOnError = requeueOnError;
    this.service = service;
    this.method = method;
    this.broadcastIdentifier = broadcastIdentifier == null || broadcastIdentifier.isEmpty() ? null : broadcastIdentifier;
    this.handler = handler;
    if (type == HandlerType.BROADCAST && reliable && this.broadcastIdentifier == null) {
      throw new IllegalArgumentException(service + "." + method + ": a reliable BROADCAST handler needs a stable broadcastIdentifier"
          + " (a random one per start would leave a durable queue behind at every restart); nameko refuses it too");
    }
    EventNames.queue(queue().name(), toString()); // the longest form: a broadcast's carries 32 more characters
  }

  /** The events exchange of the source service. */
  String exchange() {
    return source + ".events";
  }

  /** The queue for this handler on one connection, as nameko names and declares it. */
  QueueSpec queue() {
    return queue(true);
  }

  /** The queue on a broker that does ({@code expiringQueues}) or does not know {@code x-expires}. */
  QueueSpec queue(boolean expiringQueues) {
    if (keptAfterDisconnect != null) {
      String name = "evt-" + source + "-" + eventType + "--" + service + "." + method + "-" + broadcastIdentifier;
      return expiringQueues
          ? new QueueSpec(name, false, false, false, Map.of("x-expires", (int) Math.min(Integer.MAX_VALUE, keptAfterDisconnect.toMillis())))
          : new QueueSpec(name, false, true, true, null);
    }
    String base = "evt-" + source + "-" + eventType;
    switch (type) {
      case SINGLETON:
        return new QueueSpec(base, true, false, !reliable, null);
      case BROADCAST:
        if (broadcastIdentifier == null) {
          // a new instance identity on every start: exclusive, gone with its connection
          return new QueueSpec(base + "--" + service + "." + method + "-" + UUID.randomUUID().toString().replace("-", ""), true, true, true,
              null);
        }
        return new QueueSpec(base + "--" + service + "." + method + "-" + broadcastIdentifier, true, false, !reliable, null);
      default:
        return new QueueSpec(base + "--" + service + "." + method, true, false, !reliable, null);
    }
  }

  /** The queue's name when it is the same on every connection (not a random broadcast's), else null. */
  public String sharedQueueName() {
    return type == HandlerType.BROADCAST && broadcastIdentifier == null ? null : queue().name();
  }

  public boolean isSingleton() {
    return type == HandlerType.SINGLETON;
  }

  /** A queue declaration; arguments only for Java-only queues (nameko declares its own without any). */
  record QueueSpec(String name, boolean durable, boolean exclusive, boolean autoDelete, Map<String, Object> arguments) {}

  @Override
  public String toString() {
    return service + "." + method + " <- " + source + "." + eventType + " (" + type + (reliable ? ", reliable" : "") + ")";
  }
}
