package io.github.nameko4j.testsupport;

/** A test needs RabbitMQ or Redis and none could be found; the message says how to start one. */
public final class ServiceUnavailableError extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public ServiceUnavailableError(String message) {
    super(message);
  }
}
