package io.github.nameko4j.events;

/** A handler registered in code rather than with {@link EventHandler}. */
@FunctionalInterface
public interface EventListener {
  /**
   * Handles one event. Throwing acks it (dropped, logged) or requeues it, as the subscription's
   * requeue-on-error says.
   *
   * @param event the event
   * @throws Exception anything: the event is then treated as failed
   */
  void onEvent(Event event) throws Exception;
}
