package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.LongString;
import java.util.ArrayList;
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

  /** AMQP headers for an outgoing request: every non-null context entry as {@code nameko.<key>}. */
  public static Map<String, Object> fromContext(Map<String, Object> context, List<String> callIdStack) {
    Map<String, Object> headers = new HashMap<>(context.size() * 2 + 2);
    for (Map.Entry<String, Object> e : context.entrySet()) {
      if (e.getValue() != null && !CALL_ID_STACK.equals(e.getKey())) {
        headers.put(PREFIX + e.getKey(), e.getValue());
      }
    }
    headers.put(PREFIX + CALL_ID_STACK, callIdStack);
    return headers;
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
      return new String((byte[]) value, java.nio.charset.StandardCharsets.UTF_8);
    }
    return value;
  }
}
