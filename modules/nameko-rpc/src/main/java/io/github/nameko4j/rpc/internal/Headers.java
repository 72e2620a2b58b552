package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.LongString;
import io.github.nameko4j.rpc.CodecException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** nameko context data ↔ AMQP headers (PROTOCOL.md §4). */
public final class Headers {
  public static final String PREFIX = "nameko.";
  public static final String CALL_ID_STACK = "call_id_stack";
  /** nameko's default parent_calls_tracked is 10: the stack keeps 10 parents plus the current call. */
  public static final int MAX_STACK = 11;

  private Headers() {}

  /**
   * Context data of an incoming request: every header, with a leading {@code nameko.} stripped,
   * AMQP long strings turned into Java strings.
   */
  public static Map<String, Object> toContext(Map<String, Object> headers) {
    Map<String, Object> context = new LinkedHashMap<>();
    if (headers == null) {
      return context;
    }
    for (Map.Entry<String, Object> e : headers.entrySet()) {
      String key = e.getKey().startsWith(PREFIX) ? e.getKey().substring(PREFIX.length()) : e.getKey();
      context.put(key, plain(e.getValue()));
    }
    return context;
  }

  /**
   * AMQP headers for an outgoing request: every non-null context entry as {@code nameko.<key>}.
   *
   * @throws CodecException a value AMQP headers cannot carry (see {@link #check})
   */
  /** {@code base} with {@code added} over it. */
  public static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> added) {
    Map<String, Object> merged = new LinkedHashMap<>(base);
    merged.putAll(added);
    return merged;
  }

  public static Map<String, Object> fromContext(Map<String, Object> context, List<String> callIdStack) {
    Map<String, Object> headers = new HashMap<>(context.size() * 2 + 2);
    for (Map.Entry<String, Object> e : context.entrySet()) {
      if (e.getValue() != null && !CALL_ID_STACK.equals(e.getKey())) {
        check(e.getKey(), e.getValue());
        headers.put(PREFIX + e.getKey(), e.getValue());
      }
    }
    headers.put(PREFIX + CALL_ID_STACK, callIdStack);
    return headers;
  }

  /**
   * Checks that {@code value} is one the AMQP field table can carry, so a bad context value fails
   * the call that carries it (or the builder), never the connection: null, String, Integer, Long,
   * Short, Byte, Double, Float, Boolean, Date, byte[], a BigDecimal with a scale of 0 to 255 and an
   * unscaled value that fits an int, or a List or String-keyed Map of those.
   *
   * @throws CodecException naming the key and the type
   */
  public static void check(String key, Object value) {
    check(key, value, 0);
  }

  private static void check(String key, Object value, int depth) {
    if (depth > 32) {
      throw new CodecException("context data '" + key + "' is nested deeper than 32 levels (is it cyclic?)");
    }
    if (value == null || value instanceof String || value instanceof Integer || value instanceof Long
        || value instanceof Short || value instanceof Byte || value instanceof Double || value instanceof Float
        || value instanceof Boolean || value instanceof Date || value instanceof byte[] || value instanceof LongString) {
      return;
    }
    if (value instanceof BigDecimal) {
      BigDecimal d = (BigDecimal) value;
      if (d.scale() < 0 || d.scale() > 255 || d.unscaledValue().bitLength() > 31) {
        throw new CodecException("context data '" + key + "': the decimal " + d
            + " does not fit an AMQP header (scale 0-255, 32-bit digits); send it as a String");
      }
      return;
    }
    if (value instanceof List) {
      for (Object o : (List<?>) value) {
        check(key, o, depth + 1);
      }
      return;
    }
    if (value instanceof Map) {
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
        if (!(e.getKey() instanceof String)) {
          throw new CodecException("context data '" + key + "' has a map key of type "
              + (e.getKey() == null ? "null" : e.getKey().getClass().getName()) + ": AMQP tables need String keys");
        }
        check(key, e.getValue(), depth + 1);
      }
      return;
    }
    throw new CodecException("context data '" + key + "' has a value of type " + value.getClass().getName()
        + " that AMQP headers cannot carry; use a String, a number, a Boolean, or a List or Map of those");
  }

  /** The stack of an incoming request plus this call's id, keeping the newest {@link #MAX_STACK}. */
  public static List<String> extend(Object incoming, String callId) {
    List<String> stack = new ArrayList<>(MAX_STACK + 1);
    if (incoming instanceof List) {
      for (Object o : (List<?>) incoming) {
        stack.add(String.valueOf(o));
      }
    } else if (incoming != null) {
      stack.add(String.valueOf(incoming));
    }
    stack.add(callId);
    while (stack.size() > MAX_STACK) {
      stack.remove(0);
    }
    return List.copyOf(stack);
  }

  /** LongString → String, recursively through lists and tables. */
  public static Object plain(Object value) {
    if (value instanceof LongString) {
      return value.toString();
    }
    if (value instanceof List) {
      List<Object> out = new ArrayList<>();
      for (Object o : (List<?>) value) {
        out.add(plain(o));
      }
      return out;
    }
    if (value instanceof Map) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
        out.put(String.valueOf(e.getKey()), plain(e.getValue()));
      }
      return out;
    }
    if (value instanceof byte[]) {
      return new String((byte[]) value, StandardCharsets.UTF_8);
    }
    return value;
  }
}
