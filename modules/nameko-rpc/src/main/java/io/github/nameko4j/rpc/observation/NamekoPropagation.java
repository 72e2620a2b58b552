package io.github.nameko4j.rpc.observation;

/**
 * How trace context travels between nameko services: as context data, so each propagation key
 * is an AMQP header prefixed with {@code nameko.} ({@code traceparent} becomes {@code
 * nameko.traceparent}). nameko's OpenTelemetry instrumentation writes and reads the same headers,
 * and services without instrumentation pass them on unchanged, as all context data.
 */
public final class NamekoPropagation {
  /** The prefix of context data headers. */
  public static final String PREFIX = "nameko.";

  private NamekoPropagation() {}

  /**
   * @param key a propagation key, e.g. {@code traceparent}
   * @return its header, e.g. {@code nameko.traceparent}
   */
  public static String headerName(String key) {
    return PREFIX + key;
  }
}
