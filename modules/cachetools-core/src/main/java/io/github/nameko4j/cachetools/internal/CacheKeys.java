package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.internal.Json;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cache keys: {@code <service>:<method>:<sha-256 of the canonical arguments>}.
 *
 * <p>The canonical form is the JSON that would be sent, with every map's keys as strings and
 * sorted, so keyword order does not matter and equal values give equal keys in any JVM. The hash
 * bounds the key's length whatever the arguments. The service and method are part of the key:
 * unlike the original, {@code a(1)} and {@code b(1)} never share an entry.
 */
public final class CacheKeys {
  private CacheKeys() {}

  /**
   * @throws CodecException an argument cannot be encoded (the message names it)
   */
  public static String derive(String service, String method, List<?> args, Map<String, ?> kwargs) {
    byte[] canonical;
    try {
      canonical = WRITER.get().request(args, kwargs);
    } catch (CanonicalWriter.Unsupported general) {
      canonical = canonicalJson(args, kwargs);
    }
    return service + ":" + method + ":" + sha256(canonical);
  }

  /**
   * The key of a call whose policy varies on context data: the plain key plus a hash of the named
   * context entries (absent ones included as absent), so callers with different values never
   * share an entry, and invalidating a method still reaches every variant.
   *
   * @throws CodecException an argument or a context value cannot be encoded
   */
  public static String derive(String service, String method, List<?> args, Map<String, ?> kwargs, List<String> varyOn,
      Map<String, Object> context) {
    Map<String, Object> varied = new TreeMap<>();
    for (String name : varyOn) {
      varied.put(name, context.containsKey(name) ? List.of(context.get(name)) : List.of());
    }
    byte[] canonical;
    try {
      canonical = canonicalJson(List.of(varied), Map.of());
    } catch (CodecException e) {
      throw new CodecException("context data it varies on cannot be part of a key: " + e.getMessage(), e);
    }
    return derive(service, method, args, kwargs) + ":" + sha256(canonical);
  }

  private static final ThreadLocal<CanonicalWriter> WRITER = ThreadLocal.withInitial(CanonicalWriter::new);
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  });

  /** The general path: any value Jackson can write, through the same encoder the RPC client uses. */
  static byte[] canonicalJson(List<?> args, Map<String, ?> kwargs) {
    List<Object> canonicalArgs = new ArrayList<>(args.size());
    for (int i = 0; i < args.size(); i++) {
      canonicalArgs.add(canonicalArgument(args.get(i), "argument " + i));
    }
    Map<String, Object> canonicalKwargs = new TreeMap<>();
    for (Map.Entry<String, ?> e : kwargs.entrySet()) {
      canonicalKwargs.put(e.getKey(), canonicalArgument(e.getValue(), "keyword argument '" + e.getKey() + "'"));
    }
    return Json.encodeRequest(canonicalArgs, canonicalKwargs);
  }

  /** For tests: the fast writer's bytes, or null when it hands over to the general path. */
  static byte[] fastCanonical(List<?> args, Map<String, ?> kwargs) {
    try {
      return new CanonicalWriter().request(args, kwargs);
    } catch (CanonicalWriter.Unsupported general) {
      return null;
    }
  }

  /** Canonical form of one argument; a failure names the argument, as the RPC client's would. */
  private static Object canonicalArgument(Object value, String which) {
    try {
      return canonical(value, 1);
    } catch (CodecException e) {
      throw new CodecException(which + " (" + Json.describe(value) + ") cannot be sent: " + e.getMessage(), e);
    }
  }

  /** The prefix of every key of one method, e.g. for invalidation by prefix. */
  public static String methodPrefix(String service, String method) {
    return service + ":" + method + ":";
  }

  private static Object canonical(Object value, int depth) {
    if (depth > Json.MAX_DEPTH) {
      throw new CodecException("structure nested deeper than " + Json.MAX_DEPTH + " levels (is it cyclic?)");
    }
    if (value instanceof Map) {
      return canonicalMap((Map<?, ?>) value, depth + 1);
    }
    if (value instanceof Collection) {
      return canonicalList((Collection<?>) value, depth + 1);
    }
    if (value instanceof Object[]) {
      return canonicalList(Arrays.asList((Object[]) value), depth + 1);
    }
    return value;
  }

  private static List<Object> canonicalList(Collection<?> values, int depth) {
    List<Object> out = new ArrayList<>(values.size());
    for (Object v : values) {
      out.add(canonical(v, depth));
    }
    return out;
  }

  private static Map<String, Object> canonicalMap(Map<?, ?> map, int depth) {
    Map<String, Object> sorted = new TreeMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      // JSON (and so nameko) sees every key as a string: {1: x} and {"1": x} are the same request.
      sorted.put(String.valueOf(e.getKey()), canonical(e.getValue(), depth));
    }
    return sorted;
  }

  private static String sha256(byte[] bytes) {
    byte[] digest = SHA256.get().digest(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
  }
}
