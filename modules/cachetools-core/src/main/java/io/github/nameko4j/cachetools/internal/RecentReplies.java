package io.github.nameko4j.cachetools.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The replies this process got or found for a key in the last few seconds, for the moments the
 * store cannot say in time (slow, failing, or switched off): the callers of a key that come then
 * are answered with the reply that just arrived instead of each asking the service again, so the
 * service sees about one call per key per process in a burst, whatever the store does. Consulted
 * only when the store could not answer, and only while the reply is fresh by its policy. Bounded
 * in size and age; thread-safe; starts no threads.
 */
final class RecentReplies {
  /** How long a reply is remembered (never past its own freshness). */
  static final Duration WINDOW = Duration.ofSeconds(5);
  private static final long MAX_KEYS = 10_000;

  private final Cache<String, StoreAccess.Hit> replies;

  RecentReplies(Clock clock) {
    this.replies = Caffeine.newBuilder()
        .maximumSize(MAX_KEYS)
        .expireAfterWrite(WINDOW.toNanos(), TimeUnit.NANOSECONDS)
        .executor(Runnable::run)
        .ticker(() -> clock.millis() * 1_000_000L)
        .build();
  }

  void remember(String key, StoreAccess.Hit hit) {
    replies.put(key, hit);
  }

  /** The reply remembered for {@code key}, or null (the caller checks its freshness). */
  StoreAccess.Hit get(String key) {
    return replies.getIfPresent(key);
  }

  void forget(String key) {
    replies.invalidate(key);
  }

  void forgetPrefix(String prefix) {
    replies.asMap().keySet().removeIf(k -> k.startsWith(prefix));
  }
}
