package io.github.nameko4j.events;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a public method of an object hosted by {@link EventSubscriber} as the handler of one
 * event type of one source service, as nameko's {@code @event_handler}. The method takes one
 * parameter: the payload, converted to the parameter's type (as rpc arguments are), or the whole
 * {@link Event}. Inside it, {@link io.github.nameko4j.rpc.RpcContext#current()} is the event's
 * context, so the calls and events it makes carry it on.
 *
 * <pre>{@code
 * class Stock {
 *   @EventHandler(source = "orders", eventType = "order_created")
 *   public void onOrder(Map<String, Object> order) { ... }
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface EventHandler {
  /**
   * The service whose events to handle.
   *
   * @return its nameko name
   */
  String source();

  /**
   * The event type; {@code *} and {@code #} are topic wildcards, as in nameko.
   *
   * @return e.g. {@code order_created}
   */
  String eventType();

  /**
   * Who handles each event.
   *
   * @return nameko's handler_type; SERVICE_POOL by default
   */
  HandlerType handlerType() default HandlerType.SERVICE_POOL;

  /**
   * Whether the queue outlives the handler (durable, not auto-delete), so events dispatched while
   * every handler is down wait for one. A reliable BROADCAST handler needs a stable {@link
   * #broadcastIdentifier()}.
   *
   * @return nameko's reliable_delivery; true by default
   */
  boolean reliableDelivery() default true;

  /**
   * Whether an event whose handler raised goes back to the queue (redelivered at once, without
   * limit, as in nameko) rather than being acked and dropped.
   *
   * @return nameko's requeue_on_error; false by default
   */
  boolean requeueOnError() default false;

  /**
   * BROADCAST only: the instance's identifier in its queue name. Empty: a new random one on every
   * start (an unreliable broadcast, nameko's default). Must be stable, and unique per instance, for
   * a reliable broadcast.
   *
   * @return e.g. the host name
   */
  String broadcastIdentifier() default "";
}
