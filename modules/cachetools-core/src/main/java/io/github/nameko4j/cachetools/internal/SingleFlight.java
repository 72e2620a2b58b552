package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.rpc.internal.Futures;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One piece of work per key at a time in this process; callers that arrive meanwhile share it.
 * Each caller gets a future of its own: cancelling it, or timing it out, never reaches the work or
 * the other callers. Thread-safe.
 */
final class SingleFlight<T> {
  /**
   * What a flight produces: its {@code result}, which callers get, and {@code settled}, which
   * completes once the work is entirely done (e.g. its reply stored). The key stays taken until
   * then, so callers that arrive between the two still share the result.
   */
  record Flight<T>(CompletableFuture<T> result, CompletableFuture<?> settled) {}

  private final Map<String, CompletableFuture<T>> flying = new ConcurrentHashMap<>();

  boolean isFlying(String key) {
    return flying.containsKey(key);
  }

  /** Joins the flight for {@code key}, or starts one with {@code start}. */
  CompletableFuture<T> join(String key, Supplier<Flight<T>> start) {
    CompletableFuture<T> shared = new CompletableFuture<>();
    CompletableFuture<T> existing = flying.putIfAbsent(key, shared);
    if (existing != null) {
      return copy(existing);
    }
    Flight<T> flight;
    try {
      flight = start.get();
    } catch (RuntimeException e) {
      flying.remove(key, shared);
      return CompletableFuture.failedFuture(e);
    }
    flight.result().whenComplete((value, error) -> {
      if (error == null) {
        shared.complete(value);
      } else {
        shared.completeExceptionally(Futures.cause(error));
      }
    });
    flight.settled().whenComplete((v, e) -> flying.remove(key, shared));
    return copy(shared);
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
