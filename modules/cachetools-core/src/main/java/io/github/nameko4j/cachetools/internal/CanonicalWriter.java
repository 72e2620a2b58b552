package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.rpc.internal.Json;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Writes the canonical request JSON of the common argument types straight into bytes, exactly as
 * the Jackson path of {@link CacheKeys} would (a property test holds the two byte-for-byte equal),
 * without building a sorted copy and a Jackson tree first. Anything else, including doubles, makes
 * it give up ({@link Unsupported}) and the caller takes the Jackson path. Not thread-safe: one per
 * thread.
 */
final class CanonicalWriter {
  /** Thrown when a value needs the general path; carries no stack trace (it is not an error). */
  static final class Unsupported extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final Unsupported INSTANCE = new Unsupported();

    private Unsupported() {
      super(null, null, false, false);
    }
  }

  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
  private byte[] buf = new byte[256];
  private int len;

  byte[] request(List<?> args, Map<String, ?> kwargs) {
    len = 0;
    raw("{\"args\":");
    list(args, 1);
    raw(",\"kwargs\":");
    map(kwargs, 1);
    put('}');
    return Arrays.copyOf(buf, len);
  }

  private void value(Object v, int depth) {
    if (depth > Json.MAX_DEPTH) {
      throw Unsupported.INSTANCE; // the general path reports it
    }
    if (v == null) {
      raw("null");
    } else if (v instanceof String) {
      string((String) v);
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte || v instanceof BigInteger) {
      raw(v.toString());
    } else if (v instanceof Boolean) {
      raw(((Boolean) v) ? "true" : "false");
    } else if (v instanceof Map) {
      map((Map<?, ?>) v, depth + 1);
    } else if (v instanceof Collection) {
      list((Collection<?>) v, depth + 1);
    } else {
      throw Unsupported.INSTANCE;
    }
  }

  private void list(Collection<?> values, int depth) {
    put('[');
    boolean first = true;
    for (Object v : values) {
      if (!first) {
        put(',');
      }
      first = false;
      value(v, depth);
    }
    put(']');
  }

  private void map(Map<?, ?> map, int depth) {
    if (map.size() == 2 && map.containsKey("__type__") && map.containsKey("__value__")) {
      throw Unsupported.INSTANCE; // refused on the general path, with its message
    }
    List<String> keys = new ArrayList<>(map.size());
    for (Object k : map.keySet()) {
      keys.add(String.valueOf(k));
    }
    keys.sort(null);
    if (keys.size() != map.size() || hasDuplicates(keys)) {
      throw Unsupported.INSTANCE; // e.g. keys 1 and "1": the general path decides which wins
    }
    put('{');
    boolean first = true;
    for (String k : keys) {
      if (!first) {
        put(',');
      }
      first = false;
      string(k);
      put(':');
      value(lookup(map, k), depth);
    }
    put('}');
  }

  private static boolean hasDuplicates(List<String> sorted) {
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).equals(sorted.get(i - 1))) {
        return true;
      }
    }
    return false;
  }

  /** The value under a key whose string form is {@code k} (keys may be non-strings). */
  private static Object lookup(Map<?, ?> map, String k) {
    if (map.containsKey(k)) {
      return map.get(k);
    }
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (String.valueOf(e.getKey()).equals(k)) {
        return e.getValue();
      }
    }
    throw Unsupported.INSTANCE;
  }

  /** Jackson's string escaping with ESCAPE_NON_ASCII. */
  private void string(String s) {
    put('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        put('\\');
        put(c);
      } else if (c >= 0x20 && c < 0x7F) {
        put(c);
      } else if (c == 0x7F) {
        put(c);
      } else if (c == '\n') {
        raw("\\n");
      } else if (c == '\t') {
        raw("\\t");
      } else if (c == '\r') {
        raw("\\r");
      } else if (c == '\b') {
        raw("\\b");
      } else if (c == '\f') {
        raw("\\f");
      } else {
        raw("\\u");
        put(HEX[(c >> 12) & 0xF]);
        put(HEX[(c >> 8) & 0xF]);
        put(HEX[(c >> 4) & 0xF]);
        put(HEX[c & 0xF]);
      }
    }
    put('"');
  }

  private void raw(String ascii) {
    for (int i = 0; i < ascii.length(); i++) {
      put(ascii.charAt(i));
    }
  }

  private void put(int b) {
    if (len == buf.length) {
      buf = Arrays.copyOf(buf, buf.length * 2);
    }
    buf[len++] = (byte) b;
  }
}
