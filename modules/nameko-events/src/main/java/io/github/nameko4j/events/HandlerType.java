package io.github.nameko4j.events;

/** Who handles an event, as nameko's {@code handler_type} says (EVENTS.md §1.2, §3). */
public enum HandlerType {
  /**
   * Each service with a handler gets the event once: its replicas share one queue, {@code
   * evt-<source>-<type>--<service>.<method>}. nameko's default.
   */
  SERVICE_POOL,
  /** One handler in the whole system gets it: every SINGLETON handler shares {@code evt-<source>-<type>}. */
  SINGLETON,
  /** Every running instance gets it: a queue per instance, {@code evt-<source>-<type>--<service>.<method>-<id>}. */
  BROADCAST
}
