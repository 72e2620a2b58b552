package io.github.nameko4j.rpc;

/**
 * No queue is bound for the service: the broker returned the mandatory request (nameko's {@code
 * UnknownService}). Raised as soon as the broker says so, never after a timeout.
 */
public class UnknownServiceException extends NamekoException {
  private static final long serialVersionUID = 1L;
  private final String service;

  public UnknownServiceException(String service) {
    super("Unknown service `" + service + "`");
    this.service = service;
  }

  /** The service that has no queue. */
  public String service() {
    return service;
  }
}
