package io.github.nameko4j.events;

import io.github.nameko4j.rpc.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The events captured from nameko 2.14 (src/test/resources/nameko-wire/vectors, from
 * shared/nameko-wire). Read with the library's own JSON settings: the files hold bare NaN and
 * integers beyond 64 bits, as the wire did.
 */
final class Vectors {
  private Vectors() {}

  @SuppressWarnings("unchecked")
  static Map<String, Object> load(String name) {
    try (InputStream in = Vectors.class.getResourceAsStream("/nameko-wire/vectors/" + name + ".json")) {
      if (in == null) {
        throw new IllegalArgumentException("no vector " + name);
      }
      return (Map<String, Object>) Json.decode(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The messages of {@code kind} (event, request, reply...). */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> messages(Map<String, Object> vectorOrCase, String kind) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object m : (List<Object>) vectorOrCase.getOrDefault("messages", List.of())) {
      Map<String, Object> message = (Map<String, Object>) m;
      if (kind.equals(message.get("kind"))) {
        out.add(message);
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> list(Map<String, Object> map, String key) {
    return (List<Map<String, Object>>) map.getOrDefault(key, List.of());
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> map, String key) {
    Object value = map.get(key);
    return value == null ? Map.of() : (Map<String, Object>) value;
  }

  static byte[] body(Map<String, Object> message) {
    return Base64.getDecoder().decode((String) message.get("body_base64"));
  }
}
