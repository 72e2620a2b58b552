package io.github.nameko4j.cachetools.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Where a caller's future completes. A reply may arrive on a thread the caller must not run on:
 * a Redis I/O thread (a hit is decoded and answered there, which spares a hand-off), the RPC
 * client's delivery thread. A caller who waits (the sync API) is merely woken from there; a caller
 * of the async API chains its own stages, which would then run on that thread and could stall
 * every Redis command of the JVM: its future completes on the proxy's executor instead, unless it
 * is already complete.
 */
public final class Delivery {
  private Delivery() {}

  /** {@code result} itself if already complete, else a copy completed on {@code executor}. */
  public static <T> CompletableFuture<T> toAsyncCaller(CompletableFuture<T> result, Executor executor) {
    if (result.isDone()) {
      return result;
    }
    CompletableFuture<T> delivered = new CompletableFuture<>();
    result.whenComplete((value, error) -> OffThread.run(executor, () -> {
      if (error == null) {
        delivered.complete(value);
      } else {
        delivered.completeExceptionally(error);
      }
    }));
    return delivered;
  }
}
