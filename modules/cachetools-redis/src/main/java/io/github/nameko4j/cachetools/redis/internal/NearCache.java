package io.github.nameko4j.cachetools.redis.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The near cache of a Redis store: Caffeine in front, the store's {@link Announcements} for
 * invalidation ({@code K <key>}, {@code P <prefix>}). It keeps nothing while it cannot hear them,
 * and forgets everything when they may have been missed. An entry never outlives the Redis entry
 * it copies: it is kept for at most the time Redis has left on that entry (read with it), or the
 * ttl it was written with, and never longer than maxAge. Entries invalidated by a stamp (a method,
 * a service, a tag) need no message here: every hit is judged by the stamps anyway.
 */
public final class NearCache implements Announcements.Listener {
  private final Cache<String, Held> cache;
  private final long maxAgeNanos;
  private final Announcements announcements;
  // Bumped by every invalidation: a value read from Redis is kept only if none arrived meanwhile.
  private final AtomicLong version = new AtomicLong();
  private volatile boolean subscribed;

  /** The value, already wrapped in the future a hit returns: a hit allocates nothing. */
  private record Held(CompletableFuture<byte[]> value, long ttlNanos) {
    Held(byte[] bytes, long ttlNanos) {
      this(CompletableFuture.completedFuture(bytes), ttlNanos);
    }
  }

  public NearCache(Announcements announcements, long maxEntries, Duration maxAge) {
    this.announcements = announcements;
    this.maxAgeNanos = maxAge.toNanos();
    this.cache = Caffeine.newBuilder()
        .maximumSize(maxEntries)
        .executor(Runnable::run)
        .expireAfter(new Expiry<String, Held>() {
          @Override
          public long expireAfterCreate(String key, Held value, long now) {
            return value.ttlNanos();
          }

          @Override
          public long expireAfterUpdate(String key, Held value, long now, long current) {
            return value.ttlNanos();
          }

          @Override
          public long expireAfterRead(String key, Held value, long now, long current) {
            return current;
          }
        })
        .build();
    announcements.addListener(this);
  }

  @Override
  public void subscribed() {
    clear(); // anything held from before the gap may be stale
    subscribed = true;
  }

  @Override
  public void lost() {
    subscribed = false;
    clear();
  }

  @Override
  public void message(String kind, String rest) {
    if (kind.equals("K")) {
      invalidate(rest);
    } else if (kind.equals("P")) {
      invalidatePrefix(rest);
    }
  }

  /** The held value as a completed future, or null. */
  public CompletableFuture<byte[]> get(String key) {
    if (!subscribed) {
      return null;
    }
    Held held = cache.getIfPresent(key);
    return held == null ? null : held.value();
  }

  public long version() {
    return version.get();
  }

  /**
   * Keeps a value read from Redis for no longer than Redis keeps it ({@code pttlMillis}, as PTTL
   * answered with it: -1 for no expiry), unless an invalidation arrived since the read started.
   */
  public void fill(String key, byte[] value, long pttlMillis, long versionBeforeRead) {
    if (value == null || pttlMillis == -2 || pttlMillis == 0 || !subscribed || version.get() != versionBeforeRead) {
      return;
    }
    long nanos = pttlMillis < 0 ? maxAgeNanos : Math.min(maxAgeNanos, TimeUnit.MILLISECONDS.toNanos(pttlMillis));
    cache.put(key, new Held(value, nanos));
  }

  public void put(String key, byte[] value, Duration ttl) {
    version.incrementAndGet();
    if (subscribed) {
      long ttlNanos = ttl == null ? maxAgeNanos : Math.min(maxAgeNanos, ttl.toNanos());
      cache.put(key, new Held(value, ttlNanos));
    }
  }

  public void invalidate(String key) {
    version.incrementAndGet();
    cache.invalidate(key);
  }

  public void invalidatePrefix(String prefix) {
    version.incrementAndGet();
    cache.asMap().keySet().removeIf(k -> k.startsWith(prefix));
  }

  public void clear() {
    version.incrementAndGet();
    cache.invalidateAll();
  }

  public long size() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  /**
   * Tells the other replicas, on the store's command connection: sent right after the write it
   * announces, so Redis runs the two in that order and no replica can read the old value after
   * hearing of the new one. Never fails the caller.
   */
  public CompletableFuture<Void> announce(String kind, String keyOrPrefix) {
    return announcements.publish(kind, keyOrPrefix);
  }

  /** True while subscribed: only then are values kept. */
  public boolean isSubscribed() {
    return subscribed;
  }
}
