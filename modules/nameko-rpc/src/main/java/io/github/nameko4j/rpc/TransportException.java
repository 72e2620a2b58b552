package io.github.nameko4j.rpc;

/**
 * The broker could not be reached, the connection was lost while a call was in flight, or a
 * publish was refused. The call may or may not have reached the service.
 */
public class TransportException extends NamekoException {
  private static final long serialVersionUID = 1L;

  public TransportException(String message) {
    super(message);
  }

  public TransportException(String message, Throwable cause) {
    super(message, cause);
  }
}
