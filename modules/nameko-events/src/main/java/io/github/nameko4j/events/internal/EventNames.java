package io.github.nameko4j.events.internal;

import java.nio.charset.StandardCharsets;

/** Event types and queue names: what AMQP accepts as routing keys and names (short strings). */
public final class EventNames {
  /** AMQP short strings (routing keys, queue names) hold at most 255 bytes. */
  public static final int MAX_BYTES = 255;

  private EventNames() {}

  /**
   * Checks an event type. Dispatched types are routing keys, taken literally; a handler's type is
   * a topic pattern where {@code *} matches one dot-separated word and {@code #} any number, as
   * in nameko.
   *
   * @throws IllegalArgumentException null, blank, over 255 bytes, or with control characters
   */
  public static String eventType(String what, String type) {
    if (type == null) {
      throw new IllegalArgumentException(what + " must not be null");
    }
    if (type.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
    for (int i = 0; i < type.length(); i++) {
      if (Character.isISOControl(type.charAt(i))) {
        throw new IllegalArgumentException(what + " '" + type.replaceAll("\\p{Cntrl}", "?") + "' contains a control character");
      }
    }
    if (type.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw new IllegalArgumentException(what + " is " + type.getBytes(StandardCharsets.UTF_8).length
          + " bytes in UTF-8; AMQP routing keys hold at most " + MAX_BYTES);
    }
    return type;
  }

  /** Checks a queue name nameko's naming rules produced. */
  static String queue(String name, String handler) {
    int bytes = name.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_BYTES) {
      throw new IllegalArgumentException(handler + ": its queue name would be " + bytes + " bytes (evt-<source>-<eventType>--"
          + "<service>.<method>...), over AMQP's " + MAX_BYTES + ": shorten the event type, service or method name");
    }
    return name;
  }
}
