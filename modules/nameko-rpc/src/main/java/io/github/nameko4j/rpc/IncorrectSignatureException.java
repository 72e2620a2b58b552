package io.github.nameko4j.rpc;

import java.util.List;

/** nameko's {@code IncorrectSignature}: the arguments do not fit the method's signature. */
public class IncorrectSignatureException extends RemoteServiceException {
  private static final long serialVersionUID = 1L;

  /** The {@code exc_path} nameko uses for this error. */
  public static final String EXC_PATH = "nameko.exceptions.IncorrectSignature";

  /**
   * For a service to raise; its callers get it with this {@code exc_path}.
   *
   * @param value the error's text, as nameko's {@code str(exc)}
   */
  public IncorrectSignatureException(String value) {
    this(List.of(value), value);
  }

  IncorrectSignatureException(List<Object> excArgs, String value) {
    super("IncorrectSignature", EXC_PATH, excArgs, value);
  }
}
