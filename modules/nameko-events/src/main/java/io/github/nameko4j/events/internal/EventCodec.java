package io.github.nameko4j.events.internal;

import com.rabbitmq.client.AMQP;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.internal.Json;

/** Event bodies as nameko writes and reads them: the bare JSON payload (EVENTS.md §2, §4.2, §6). */
public final class EventCodec {
  public static final String CONTENT_TYPE = "application/json";

  private EventCodec() {}

  /**
   * The body of an event.
   *
   * @throws CodecException the payload cannot be sent as JSON (nothing is published)
   */
  public static byte[] encode(Object payload) {
    return Json.encode(payload);
  }

  /** A decoded payload, or why the event is dropped. */
  public record Decoded(Object payload, String dropReason) {
    boolean dropped() {
      return dropReason != null;
    }
  }

  /**
   * Decodes as a Python handler does: {@code application/json} (exactly) is parsed with the
   * message's encoding; no content type gives the raw text; anything else, or invalid JSON, is
   * dropped (acked and logged by the caller).
   */
  public static Decoded decode(AMQP.BasicProperties props, byte[] body) {
    String type = props.getContentType();
    String text = new String(body, Json.charset(props.getContentEncoding()));
    if (type == null) {
      return new Decoded(text, null);
    }
    if (!type.equals(CONTENT_TYPE)) {
      return new Decoded(null, "content type `" + type + "` is not " + CONTENT_TYPE);
    }
    if (body.length == 0) {
      return new Decoded("", null); // kombu hands an empty body over as an empty string
    }
    try {
      return new Decoded(Json.decode(body, Json.charset(props.getContentEncoding())), null);
    } catch (CodecException e) {
      return new Decoded(null, e.getMessage());
    }
  }
}
