package io.github.nameko4j.spring;

/**
 * A nameko4j setting the application cannot start with: which property, where its value came
 * from, what is wrong and what to do. Spring Boot prints it as its "APPLICATION FAILED TO START"
 * summary (the starter registers a failure analyzer), instead of a chain of bean creation errors.
 * Values are shown with any password replaced by {@code ***}.
 */
public class NamekoConfigurationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String property;
  private final String value;
  private final String origin;
  private final String action;

  /**
   * @param property the property, e.g. {@code nameko4j.amqp.uri}
   * @param value its value, password redacted (null when not set)
   * @param origin where the value came from (a file and line, an environment variable), or null
   * @param problem what is wrong
   * @param action what to change
   * @param cause the underlying refusal, or null
   */
  public NamekoConfigurationException(String property, String value, String origin, String problem, String action, Throwable cause) {
    super(property + ": " + problem, cause);
    this.property = property;
    this.value = value;
    this.origin = origin;
    this.action = action;
  }

  /** @return the property, e.g. {@code nameko4j.amqp.uri} */
  public String property() {
    return property;
  }

  /** @return its value with any password as {@code ***}, or null */
  public String value() {
    return value;
  }

  /** @return where the value came from, or null when unknown */
  public String origin() {
    return origin;
  }

  /** @return what to change */
  public String action() {
    return action;
  }
}
