package io.github.nameko4j.cachetools.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.github.nameko4j.cachetools.ScopeStamps;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Stamps kept in this process (the in-process store's, or a proxy's own when its store shares
 * none). At most {@link #MAX_SCOPES} scopes are remembered; forgetting one raises the floor, the
 * stamp every scope is taken to have at least, so an entry is never thought fresh for want of
 * memory, only stale. Thread-safe.
 */
public final class LocalScopeStamps implements ScopeStamps {
  static final long MAX_SCOPES = 100_000;

  private final AtomicLong sequence = new AtomicLong();
  private final AtomicLong floor = new AtomicLong();
  private final Cache<String, Long> stamps;
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private volatile String closedStore;

  public LocalScopeStamps() {
    this.stamps = Caffeine.newBuilder()
        .maximumSize(MAX_SCOPES)
        .executor(Runnable::run)
        .removalListener((String scope, Long stamp, RemovalCause cause) -> {
          if (stamp != null && cause.wasEvicted()) {
            floor.accumulateAndGet(stamp, Math::max);
          }
        })
        .build();
  }

  @Override
  public long current() {
    return sequence.get();
  }

  @Override
  public long stampOf(String scope) {
    Long stamp = stamps.getIfPresent(scope);
    return Math.max(floor.get(), stamp == null ? 0 : stamp);
  }

  @Override
  public CompletableFuture<Long> invalidate(String scope) {
    String store = closedStore;
    if (store != null) {
      return Closed.future(store, "invalidate " + scope);
    }
    long stamp = sequence.incrementAndGet();
    stamps.asMap().merge(scope, stamp, Math::max);
    for (Consumer<String> l : listeners) {
      l.accept(scope);
    }
    return CompletableFuture.completedFuture(stamp);
  }

  @Override
  public void addListener(Consumer<String> listener) {
    listeners.add(listener);
  }

  /** From now on invalidations fail as {@code store}'s operations do once it is closed. */
  public void close(String store) {
    closedStore = store;
  }
}
