package io.github.nameko4j.rpc;

/** A value could not be encoded or decoded (JSON on the wire, or a cache value). */
public class CodecException extends NamekoException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what went wrong, naming the value's place (argument, setting, method)
   */
  public CodecException(String message) {
    super(message);
  }

  /**
   * @param message what went wrong
   * @param cause the underlying failure
   */
  public CodecException(String message, Throwable cause) {
    super(message, cause);
  }
}
