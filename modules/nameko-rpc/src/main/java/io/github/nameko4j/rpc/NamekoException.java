package io.github.nameko4j.rpc;

/**
 * Root of every exception this library throws. Unchecked: a caller that wants to handle all of
 * them catches this one type.
 */
public class NamekoException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what went wrong, naming the value's place (argument, setting, method)
   */
  public NamekoException(String message) {
    super(message);
  }

  /**
   * @param message what went wrong
   * @param cause the underlying failure
   */
  public NamekoException(String message, Throwable cause) {
    super(message, cause);
  }
}
