package io.github.nameko4j.rpc;

/** A value could not be encoded or decoded (JSON on the wire, or a cache value). */
public class CodecException extends NamekoException {
  private static final long serialVersionUID = 1L;

  public CodecException(String message) {
    super(message);
  }

  public CodecException(String message, Throwable cause) {
    super(message, cause);
  }
}
