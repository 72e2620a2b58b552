package io.github.nameko4j.rpc;

import java.util.List;

/** nameko's {@code MethodNotFound}: the service has no such rpc method. */
public class MethodNotFoundException extends RemoteServiceException {
  private static final long serialVersionUID = 1L;

  /** The {@code exc_path} nameko uses for this error. */
  public static final String EXC_PATH = "nameko.exceptions.MethodNotFound";

  /**
   * For a service to raise; its callers get it with this {@code exc_path}.
   *
   * @param value the error's text, as nameko's {@code str(exc)}
   */
  public MethodNotFoundException(String value) {
    this(List.of(value), value);
  }

  MethodNotFoundException(List<Object> excArgs, String value) {
    super("MethodNotFound", EXC_PATH, excArgs, value);
  }
}
