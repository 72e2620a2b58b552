package io.github.nameko4j.cachetools.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers the keys of recent calls whose arguments are immutable scalars (ids, names, numbers),
 * the common case for hits: deriving a key (canonical JSON, SHA-256) costs more than the rest of
 * an in-process hit. Calls with other arguments (lists, maps, objects a caller could change
 * later) are never remembered, so a remembered key always matches what deriving it would give.
 * Bounded: cleared when full. Thread-safe.
 */
final class KeyMemo {
  private static final Set<Class<?>> IMMUTABLE = Set.of(String.class, Integer.class, Long.class, Short.class, Byte.class,
      Boolean.class, Character.class, Double.class, Float.class, BigInteger.class, BigDecimal.class, UUID.class,
      LocalDate.class, LocalDateTime.class, Instant.class);
  private static final int MAX_ARGS = 4;

  /** A method and its positional arguments, compared by content. */
  private record Call(String method, List<?> args) {}

  private final int capacity;
  private final Map<Call, String> keys = new ConcurrentHashMap<>();

  KeyMemo(int capacity) {
    this.capacity = capacity;
  }

  /** The remembered key, or null (not remembered, or not a call that can be). */
  String get(String method, List<?> args, Map<String, ?> kwargs) {
    return rememberable(args, kwargs) ? keys.get(new Call(method, args)) : null;
  }

  /** Remembers {@code key} for this call, if its arguments allow. */
  void put(String method, List<?> args, Map<String, ?> kwargs, String key) {
    if (!rememberable(args, kwargs)) {
      return;
    }
    if (keys.size() >= capacity) {
      keys.clear(); // rare: a wide key space gains little from remembering anyway
    }
    keys.put(new Call(method, List.copyOf(args)), key); // a copy: the caller's list may change later
  }

  private static boolean rememberable(List<?> args, Map<String, ?> kwargs) {
    if (!kwargs.isEmpty() || args.size() > MAX_ARGS) {
      return false;
    }
    for (int i = 0; i < args.size(); i++) {
      Object a = args.get(i);
      if (a == null || !IMMUTABLE.contains(a.getClass())) {
        return false;
      }
    }
    return true;
  }
}
