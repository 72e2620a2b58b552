package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.ScopeStamps;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Whether an entry may answer a caller, beyond its writer's freshness deadline: not if an
 * invalidation of its key, method, service or one of its tags has a stamp later than the one its
 * writer had seen when the fetch started (then it holds data from before the invalidation,
 * wherever it is: the store, a near cache, the recent replies, a reply still in flight); and not
 * past the reader's own ttl, counted from when it was written (the stricter of the writer's and
 * the reader's policies wins). Thread-safe.
 */
final class Freshness {
  private final String service;
  private final ScopeStamps stamps;
  private final Clock clock;
  // The latest stamp of any tag: a flight does not know its reply's tags before the reply comes,
  // so a tag invalidation detaches every flight that started before it.
  private final AtomicLong latestTag = new AtomicLong();
  // Scope names are looked up on every hit: built once per key and method, not per lookup.
  private static final Memo KEY_SCOPES = new Memo(10_000);
  private final Memo methodScopes = new Memo(1_000);
  private final String serviceScope;

  Freshness(String service, ScopeStamps stamps, Clock clock) {
    this.service = service;
    this.serviceScope = "s:" + service;
    this.stamps = stamps;
    this.clock = clock;
    stamps.addListener(scope -> {
      if (scope.startsWith("t:")) {
        latestTag.accumulateAndGet(stamps.stampOf(scope), Math::max);
      }
    });
  }

  static String keyScope(String key) {
    return KEY_SCOPES.computeIfAbsent(key, k -> "k:" + k);
  }

  String methodScope(String method) {
    return methodScopes.computeIfAbsent(method, m -> "m:" + service + ":" + m);
  }

  String serviceScope() {
    return serviceScope;
  }

  static String tagScope(String tag) {
    return "t:" + tag;
  }

  /** The stamp a fetch starting now records. */
  long seenNow() {
    return stamps.current();
  }

  /** False while the stamps cannot be trusted: every entry is then a miss. */
  boolean known() {
    return stamps.known();
  }

  /**
   * Reads the current stamps of the key's scopes (and {@code tags}) from the store: how entries
   * are judged while the stamps are not {@link #known()}.
   */
  CompletableFuture<Void> refresh(String key, String method, List<String> tags) {
    List<String> scopes = new ArrayList<>(3 + tags.size());
    scopes.add(keyScope(key));
    scopes.add(methodScope(method));
    scopes.add(serviceScope());
    for (String t : tags) {
      scopes.add(tagScope(t));
    }
    return stamps.refresh(scopes);
  }

  /** True if something invalidated the key (its entry, method or service) after {@code seen}. */
  boolean invalidatedSince(String key, String method, long seen) {
    return stamps.stampOf(keyScope(key)) > seen || stamps.stampOf(methodScope(method)) > seen
        || stamps.stampOf(serviceScope()) > seen;
  }

  /** As {@link #invalidatedSince}, and any tag too: for a flight, whose reply's tags are not known yet. */
  boolean flightOutdated(String key, String method, long seen) {
    return latestTag.get() > seen || invalidatedSince(key, method, seen);
  }

  /** True if an entry written with {@code seen} and {@code tags} holds data from before an invalidation. */
  boolean invalidated(String key, String method, long seen, List<String> tags) {
    if (invalidatedSince(key, method, seen)) {
      return true;
    }
    for (String tag : tags) {
      if (stamps.stampOf(tagScope(tag)) > seen) {
        return true;
      }
    }
    return false;
  }

  /** The instant until which an entry is fresh for this reader: its writer's deadline, or earlier by the reader's ttl. */
  static long freshUntil(Entry.Header header, CachePolicy reader) {
    Duration ttl = reader.ttl();
    if (ttl == null || reader.ttlFromReply() != null || header.writtenAt() == Entry.UNKNOWN_TIME) {
      return header.freshUntil(); // a ttl from the reply: the writer's deadline is the reply's own
    }
    long byReader = header.writtenAt() + ttl.toMillis() + reader.ttlJitter().toMillis();
    return Math.min(header.freshUntil(), byReader < header.writtenAt() ? Long.MAX_VALUE : byReader);
  }

  long now() {
    return clock.millis();
  }

  CompletableFuture<Long> invalidate(String scope) {
    return stamps.invalidate(scope);
  }

  /** Strings derived from strings, remembered up to a bound (then forgotten all at once). */
  private static final class Memo {
    private final int max;
    private final ConcurrentHashMap<String, String> derived = new ConcurrentHashMap<>();

    Memo(int max) {
      this.max = max;
    }

    String computeIfAbsent(String from, Function<String, String> derive) {
      String known = derived.get(from);
      if (known != null) {
        return known;
      }
      if (derived.size() >= max) {
        derived.clear();
      }
      return derived.computeIfAbsent(from, derive);
    }
  }
}
