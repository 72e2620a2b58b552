package io.github.nameko4j.rpc;

import java.util.List;

/** nameko's {@code MalformedRequest}: the request body lacked `args` or `kwargs`, or was not JSON. */
public class MalformedRequestException extends RemoteServiceException {
  private static final long serialVersionUID = 1L;

  /** The {@code exc_path} nameko uses for this error. */
  public static final String EXC_PATH = "nameko.exceptions.MalformedRequest";

  /**
   * For a service to raise; its callers get it with this {@code exc_path}.
   *
   * @param value the error's text, as nameko's {@code str(exc)}
   */
  public MalformedRequestException(String value) {
    this(List.of(value), value);
  }

  MalformedRequestException(List<Object> excArgs, String value) {
    super("MalformedRequest", EXC_PATH, excArgs, value);
  }
}
