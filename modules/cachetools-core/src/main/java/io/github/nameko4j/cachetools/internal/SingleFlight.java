package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.rpc.internal.Futures;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongPredicate;
import java.util.function.Supplier;

/**
 * One piece of work per key at a time in this process; callers that arrive meanwhile share it,
 * unless it is outdated: a flight remembers the invalidation stamp it started with, and a caller
 * arriving after an invalidation of its key starts a flight of its own (the old one goes on for
 * its callers, and what it writes is stale). Each caller gets a future of its own: cancelling it,
 * or timing it out, never reaches the work or the other callers. Thread-safe.
 */
final class SingleFlight<T> {
  /**
   * What a flight produces: its {@code result}, which callers get, and {@code settled}, which
   * completes once the work is entirely done (e.g. its reply stored). The key stays taken until
   * then, so callers that arrive between the two still share the result.
   */
  record Flight<T>(CompletableFuture<T> result, CompletableFuture<?> settled) {}

  private record Flying<T>(CompletableFuture<T> shared, long seen) {}

  private final Map<String, Flying<T>> flying = new ConcurrentHashMap<>();

  boolean isFlying(String key) {
    return flying.containsKey(key);
  }

  /** Joins the flight for {@code key}, or starts one with {@code start}; never joins a flight {@code outdated} says is. */
  CompletableFuture<T> join(String key, long seen, LongPredicate outdated, Supplier<Flight<T>> start) {
    Flying<T> mine = new Flying<>(new CompletableFuture<>(), seen);
    Flying<T> existing = flying.putIfAbsent(key, mine);
    while (existing != null) {
      if (!outdated.test(existing.seen())) {
        return copy(existing.shared());
      }
      if (flying.replace(key, existing, mine)) {
        break; // detached: the old flight ends for its own callers only
      }
      existing = flying.putIfAbsent(key, mine);
    }
    Flight<T> flight;
    try {
      flight = start.get();
    } catch (RuntimeException e) {
      flying.remove(key, mine);
      return CompletableFuture.failedFuture(e);
    }
    flight.result().whenComplete((value, error) -> {
      if (error == null) {
        mine.shared().complete(value);
      } else {
        mine.shared().completeExceptionally(Futures.cause(error));
      }
    });
    flight.settled().whenComplete((v, e) -> flying.remove(key, mine));
    return copy(mine.shared());
  }

  /** A caller's own future: completes as {@code shared} does, with the failure unwrapped. */
  private static <T> CompletableFuture<T> copy(CompletableFuture<T> shared) {
    CompletableFuture<T> mine = new CompletableFuture<>();
    shared.whenComplete((value, error) -> {
      if (error == null) {
        mine.complete(value);
      } else {
        mine.completeExceptionally(Futures.cause(error));
      }
    });
    return mine;
  }
}
