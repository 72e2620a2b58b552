package io.github.nameko4j.cachetools.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Time limits on futures the library does not own, without touching them. */
final class Bounded {
  private Bounded() {}

  /**
   * A future that completes as {@code source} does, or fails with a {@link TimeoutException} once
   * {@code timeout} passes (on {@code scheduler}'s thread: continue with an {@code *Async} stage
   * before doing real work). {@code source} itself is left alone: a store's future is never
   * cancelled or completed by us.
   */
  static <T> CompletableFuture<T> within(CompletableFuture<T> source, Duration timeout, ScheduledExecutorService scheduler, String what) {
    if (source.isDone()) {
      return source;
    }
    CompletableFuture<T> bounded = new CompletableFuture<>();
    ScheduledFuture<?> timer = scheduler.schedule(
        () -> bounded.completeExceptionally(new TimeoutException(what + " took longer than " + timeout.toMillis() + " ms")),
        timeout.toNanos(), TimeUnit.NANOSECONDS);
    source.whenComplete((value, error) -> {
      timer.cancel(false);
      if (error == null) {
        bounded.complete(value);
      } else {
        bounded.completeExceptionally(error);
      }
    });
    return bounded;
  }
}
