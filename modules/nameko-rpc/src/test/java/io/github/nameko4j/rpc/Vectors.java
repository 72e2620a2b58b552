package io.github.nameko4j.rpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** The messages captured from nameko 2.14 (src/test/resources/nameko-wire/vectors, from shared/nameko-wire). */
final class Vectors {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Vectors() {}

  @SuppressWarnings("unchecked")
  static Map<String, Object> load(String name) {
    try (InputStream in = Vectors.class.getResourceAsStream("/nameko-wire/vectors/" + name + ".json")) {
      if (in == null) {
        throw new IllegalArgumentException("no vector " + name);
      }
      return MAPPER.readValue(in, Map.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> messages(Map<String, Object> vector) {
    return (List<Map<String, Object>>) vector.get("messages");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> props(Map<String, Object> message) {
    return (Map<String, Object>) message.get("properties");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> headers(Map<String, Object> message) {
    Object h = message.get("headers");
    return h == null ? Map.of() : (Map<String, Object>) h;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> outcome(Map<String, Object> vector) {
    return (Map<String, Object>) vector.get("python_client_outcome");
  }

  /** The AMQP field type tags py-amqp saw for each header (S, A, F, I, ...). */
  @SuppressWarnings("unchecked")
  static Map<String, Object> headerTypes(Map<String, Object> message) {
    Map<String, Object> delivered = (Map<String, Object>) message.get("as_delivered");
    return delivered == null ? Map.of() : (Map<String, Object>) delivered.get("header_field_types");
  }

  static String body(Map<String, Object> message) {
    return (String) message.get("body_utf8");
  }
}
