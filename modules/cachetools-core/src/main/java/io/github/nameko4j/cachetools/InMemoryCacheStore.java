package io.github.nameko4j.cachetools;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.github.nameko4j.cachetools.internal.Closed;
import io.github.nameko4j.cachetools.internal.LocalScopeStamps;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-process {@link CacheStore}: bounded by entry count, each entry with its own ttl. The
 * default store of both proxies. Built on Caffeine; thread-safe; starts no threads (expired
 * entries are dropped during other operations).
 */
public final class InMemoryCacheStore implements CacheStore {
  /** Default bound on the number of entries. */
  public static final long DEFAULT_MAXIMUM_SIZE = 10_000;

  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final Cache<String, Stored> cache;
  private final Clock clock;
  private final ConcurrentHashMap<String, Lease> leases = new ConcurrentHashMap<>();
  private final LocalScopeStamps stamps = new LocalScopeStamps();
  private static final String NAME = "InMemoryCacheStore";
  private volatile boolean closed;

  private static final class Stored {
    final byte[] value;
    final long ttlNanos; // Long.MAX_VALUE: no expiry

    Stored(byte[] value, long ttlNanos) {
      this.value = value;
      this.ttlNanos = ttlNanos;
    }
  }

  private InMemoryCacheStore(Builder b) {
    Clock clock = b.clock;
    this.clock = clock;
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(b.maximumSize)
            .executor(Runnable::run) // no ForkJoinPool tasks: maintenance runs on the caller
            .ticker(() -> clock.millis() * 1_000_000L)
            .expireAfter(
                new Expiry<String, Stored>() {
                  @Override
                  public long expireAfterCreate(String key, Stored value, long now) {
                    return value.ttlNanos;
                  }

                  @Override
                  public long expireAfterUpdate(String key, Stored value, long now, long current) {
                    return value.ttlNanos;
                  }

                  @Override
                  public long expireAfterRead(String key, Stored value, long now, long current) {
                    return current;
                  }
                })
            .build();
  }

  /** A store with the default bound and the system clock. */
  public static InMemoryCacheStore create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Shared by every proxy using this store. */
  @Override
  public ScopeStamps scopeStamps() {
    return stamps;
  }

  @Override
  public CompletableFuture<byte[]> get(String key) {
    if (closed) {
      return Closed.future(NAME, "get");
    }
    Stored stored = cache.getIfPresent(key);
    return CompletableFuture.completedFuture(stored == null ? null : stored.value);
  }

  @Override
  public CompletableFuture<Void> put(String key, byte[] value, Duration ttl) {
    if (closed) {
      return Closed.future(NAME, "put");
    }
    long nanos = ttl == null ? Long.MAX_VALUE : saturatedNanos(ttl);
    cache.put(key, new Stored(value, nanos));
    return DONE;
  }

  @Override
  public CompletableFuture<Void> delete(String key) {
    if (closed) {
      return Closed.future(NAME, "delete");
    }
    cache.invalidate(key);
    return DONE;
  }

  @Override
  public CompletableFuture<Boolean> tryLease(String key, String owner, Duration ttl) {
    if (closed) {
      return Closed.future(NAME, "tryLease");
    }
    long now = clock.millis();
    long until = now + ttl.toMillis();
    boolean[] granted = {false};
    leases.compute(key, (k, current) -> {
      if (current == null || current.until <= now) {
        granted[0] = true;
        return new Lease(owner, until);
      }
      return current;
    });
    return CompletableFuture.completedFuture(granted[0]);
  }

  @Override
  public CompletableFuture<Void> releaseLease(String key, String owner) {
    if (closed) {
      return Closed.future(NAME, "releaseLease");
    }
    leases.computeIfPresent(key, (k, current) -> current.owner.equals(owner) ? null : current);
    return DONE;
  }

  private static final class Lease {
    final String owner;
    final long until;

    Lease(String owner, long until) {
      this.owner = owner;
      this.until = until;
    }
  }

  @Override
  public CompletableFuture<Long> deleteByPrefix(String prefix) {
    if (closed) {
      return Closed.future(NAME, "deleteByPrefix");
    }
    long removed = 0;
    for (String key : cache.asMap().keySet()) {
      if (key.startsWith(prefix) && cache.asMap().remove(key) != null) {
        removed++;
      }
    }
    return CompletableFuture.completedFuture(removed);
  }

  /** In memory: every operation completes before it returns. */
  @Override
  public boolean boundsItsOwnLatency() {
    return true;
  }

  @Override
  public boolean completesInline() {
    return true;
  }

  /**
   * Drops every entry; from then on every operation fails with a {@link CacheStoreException} of
   * reason {@code CLOSED} (the proxies then ask the service). Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    stamps.close(NAME);
    cache.invalidateAll();
    leases.clear();
  }

  /** Removes every entry. */
  public void clear() {
    cache.invalidateAll();
  }

  /** Entries currently held (expired ones may linger until the next maintenance). */
  public long size() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  @Override
  public String toString() {
    return "InMemoryCacheStore{size=" + cache.estimatedSize() + "}";
  }

  /** Builds an {@link InMemoryCacheStore}. Not thread-safe. */
  public static final class Builder {
    private long maximumSize = DEFAULT_MAXIMUM_SIZE;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** At most this many entries; the least useful are evicted first. Default 10,000. */
    public Builder maximumSize(long maximumSize) {
      if (maximumSize < 1) {
        throw new IllegalArgumentException("maximumSize must be at least 1, was " + maximumSize);
      }
      this.maximumSize = maximumSize;
      return this;
    }

    /** The clock ttls are measured with; tests pass a fake one. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock must not be null");
      return this;
    }

    public InMemoryCacheStore build() {
      return new InMemoryCacheStore(this);
    }
  }
}
