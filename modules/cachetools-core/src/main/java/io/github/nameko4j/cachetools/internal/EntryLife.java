package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CachePolicy;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * How long one reply's entry lives, by its policy and the reply itself: fresh for {@code fresh}
 * (null: forever), kept by the store for {@code kept} (fresh plus the stale window; null:
 * forever). Worked out once per reply written.
 *
 * @param cached false when the reply must not be cached (its ttl from the reply was zero)
 */
record EntryLife(boolean cached, Duration fresh, Duration kept) {
  static final EntryLife NOT_CACHED = new EntryLife(false, null, null);
  private static final EntryLife FOREVER = new EntryLife(true, null, null);

  /**
   * @throws IllegalArgumentException the policy's ttl-from-reply function returned a negative or
   *     too long duration (what it throws is thrown as is)
   */
  static EntryLife of(CachePolicy policy, Object reply) {
    Duration ttl = policy.ttl();
    Function<Object, Duration> fromReply = policy.ttlFromReply();
    if (fromReply != null) {
      Duration own = fromReply.apply(reply);
      if (own != null) {
        if (own.isZero()) {
          return NOT_CACHED;
        }
        if (own.isNegative() || own.compareTo(CachePolicy.MAX_DURATION) > 0) {
          throw new IllegalArgumentException("ttlFromReply gave " + own + ": it must be zero (do not cache), positive "
              + "and at most " + CachePolicy.MAX_DURATION + ", or null (the policy's ttl)");
        }
        ttl = own;
      }
    }
    if (ttl == null) {
      return FOREVER;
    }
    Duration jitter = policy.ttlJitter();
    if (!jitter.isZero()) {
      // Drawn per write: keys cached in one burst, or one key cached by several replicas, then
      // expire spread over the jitter instead of all at once.
      ttl = ttl.plusMillis(ThreadLocalRandom.current().nextLong(jitter.toMillis() + 1));
    }
    return new EntryLife(true, ttl, ttl.plus(policy.staleWindow()));
  }
}
