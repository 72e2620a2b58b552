package io.github.nameko4j.events;

import io.github.nameko4j.rpc.RpcContext;
import java.util.Objects;

/**
 * An event as a handler receives it: where it came from, its type, its decoded JSON payload and
 * the context it carried (the dispatcher's context data and call id stack, plus the handler's own
 * call id). Immutable.
 */
public final class Event {
  private final String source;
  private final String type;
  private final Object payload;
  private final RpcContext context;
  private final boolean redelivered;

  /**
   * @param source the dispatching service (from the exchange name)
   * @param type the event type (the routing key)
   * @param payload the decoded JSON payload
   * @param context the handler's context
   * @param redelivered whether the broker delivered it before (a handler crashed or requeued it)
   */
  public Event(String source, String type, Object payload, RpcContext context, boolean redelivered) {
    this.source = Objects.requireNonNull(source, "source");
    this.type = Objects.requireNonNull(type, "type");
    this.payload = payload;
    this.context = Objects.requireNonNull(context, "context");
    this.redelivered = redelivered;
  }

  /** @return the service that dispatched the event */
  public String source() {
    return source;
  }

  /** @return the event type */
  public String type() {
    return type;
  }

  /** @return the payload: Map, List, String, number, Boolean or null */
  public Object payload() {
    return payload;
  }

  /** @return the handler's context: the event's context data and call id stack, extended */
  public RpcContext context() {
    return context;
  }

  /** @return true when the broker had delivered this event before */
  public boolean redelivered() {
    return redelivered;
  }

  @Override
  public String toString() {
    return "Event{" + source + "." + type + ", redelivered=" + redelivered + "}";
  }
}
