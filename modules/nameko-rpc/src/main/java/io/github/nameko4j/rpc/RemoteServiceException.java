package io.github.nameko4j.rpc;

import java.util.List;

/**
 * The service answered with an error (nameko's {@code RemoteError}). Carries the four fields of
 * nameko's error object. The three errors nameko itself defines have their own subtypes: {@link
 * MethodNotFoundException}, {@link IncorrectSignatureException} and {@link
 * MalformedRequestException}.
 */
public class RemoteServiceException extends NamekoException {
  private static final long serialVersionUID = 1L;

  private final String excType;
  private final String excPath;
  private final transient List<Object> excArgs;
  private final String value;

  /**
   * An error object as nameko carries it.
   *
   * @param excType the exception's class name, e.g. {@code ValueError}
   * @param excPath its full path, e.g. {@code builtins.ValueError}; null from some foreign peers
   * @param excArgs its arguments, made safe for JSON
   * @param value its text ({@code str(exc)})
   */
  public RemoteServiceException(String excType, String excPath, List<Object> excArgs, String value) {
    super(excType + " " + value);
    this.excType = excType;
    this.excPath = excPath;
    this.excArgs = List.copyOf(excArgs);
    this.value = value;
  }

  /** Creates the most specific exception for an error object received from a service. */
  public static RemoteServiceException of(
      String excType, String excPath, List<Object> excArgs, String value) {
    if (excPath != null) {
      switch (excPath) {
        case MethodNotFoundException.EXC_PATH:
          return new MethodNotFoundException(excArgs, value);
        case IncorrectSignatureException.EXC_PATH:
          return new IncorrectSignatureException(excArgs, value);
        case MalformedRequestException.EXC_PATH:
          return new MalformedRequestException(excArgs, value);
        default:
          break;
      }
    }
    return new RemoteServiceException(excType, excPath, excArgs, value);
  }

  /** The exception's class name, e.g. {@code ValueError}. */
  public String excType() {
    return excType;
  }

  /** The exception's full path, e.g. {@code builtins.ValueError}; may be null from foreign peers. */
  public String excPath() {
    return excPath;
  }

  /** The exception's arguments as the service made them safe for JSON. */
  public List<Object> excArgs() {
    return excArgs == null ? List.of() : excArgs;
  }

  /** The exception's text ({@code str(exc)} in Python). */
  public String value() {
    return value;
  }
}
