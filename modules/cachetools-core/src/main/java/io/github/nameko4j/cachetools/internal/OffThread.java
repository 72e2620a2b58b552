package io.github.nameko4j.cachetools.internal;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/** Moves work off the thread that completed a future (an RPC delivery thread, a store I/O thread, a timer). */
final class OffThread {
  private OffThread() {}

  /** Runs {@code work} on {@code executor}; if the executor refuses it (shut down), runs it here. */
  static void run(Executor executor, Runnable work) {
    try {
      executor.execute(work);
    } catch (RejectedExecutionException e) {
      work.run();
    }
  }
}
