package io.github.nameko4j.cachetools.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Clock;
import java.time.Duration;

/**
 * CachedRpcProxy's fail-safe throttle (as FusionCache's): once a key was answered from the cache
 * because the service failed or was too slow, calls for it within the policy's window are answered
 * from the cache at once, while one probe at a time asks the service. A successful reply ends it.
 * Bounded in size; thread-safe.
 */
final class FailSafeThrottle {
  private static final long MAX_KEYS = 100_000;

  /** Why the key is throttled, and for how long. */
  private record Throttled(Throwable cause, long nanos) {}

  private final Cache<String, Throttled> keys;

  FailSafeThrottle(Clock clock) {
    this.keys = Caffeine.newBuilder()
        .maximumSize(MAX_KEYS)
        .executor(Runnable::run)
        .ticker(() -> clock.millis() * 1_000_000L)
        .expireAfter(new Expiry<String, Throttled>() {
          @Override
          public long expireAfterCreate(String key, Throttled value, long now) {
            return value.nanos();
          }

          @Override
          public long expireAfterUpdate(String key, Throttled value, long now, long current) {
            return value.nanos();
          }

          @Override
          public long expireAfterRead(String key, Throttled value, long now, long current) {
            return current;
          }
        })
        .build();
  }

  /** Starts (or restarts) the window for {@code key}; a zero window does nothing. */
  void start(String key, Duration window, Throwable cause) {
    if (!window.isZero()) {
      keys.put(key, new Throttled(cause, window.toNanos()));
    }
  }

  /** The failure that throttled {@code key}, or null when it is not throttled. */
  Throwable cause(String key) {
    Throttled t = keys.getIfPresent(key);
    return t == null ? null : t.cause();
  }

  void end(String key) {
    keys.invalidate(key);
  }
}
