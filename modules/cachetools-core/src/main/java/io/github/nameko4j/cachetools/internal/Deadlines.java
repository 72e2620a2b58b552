package io.github.nameko4j.cachetools.internal;

import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Cheap deadlines for futures that almost always complete before them (a cache lookup's read
 * budget). A {@code ScheduledThreadPoolExecutor} wakes its thread on every task that becomes the
 * earliest, which on a busy 2-core machine cost a Redis hit more than the hit itself; here adding
 * a deadline is one lock-free enqueue that wakes nobody, and one thread checks the pending ones
 * every {@link #TICK} while deadlines keep coming (a deadline fires up to a tick late). Only after
 * {@link #NAP_AFTER} without any does the thread sleep until the next one, and after {@link #IDLE}
 * it ends. One daemon thread for the JVM, {@code nameko4j-cache-deadlines}, started on first use.
 * Thread-safe.
 */
final class Deadlines {
  static final Duration TICK = Duration.ofMillis(2);
  static final Duration NAP_AFTER = Duration.ofSeconds(1);
  static final Duration IDLE = Duration.ofSeconds(30);

  private static final Deadlines SHARED = new Deadlines();

  /** A future watched until its deadline; {@code onExpiry} runs if it is not done by then. */
  private record Watch(long deadlineNanos, CompletableFuture<?> watched, Runnable onExpiry) {}

  private final ConcurrentLinkedQueue<Watch> pending = new ConcurrentLinkedQueue<>();
  private volatile Thread thread; // written under the lock; null when not running
  private volatile Thread parked; // the thread while it sleeps for want of deadlines
  private volatile boolean watchedSinceLastSweep;

  private Deadlines() {}

  static Deadlines shared() {
    return SHARED;
  }

  /**
   * Runs {@code onExpiry} (on the deadlines thread: keep it short) unless {@code watched}
   * completes within {@code timeout}.
   */
  void watch(CompletableFuture<?> watched, Duration timeout, Runnable onExpiry) {
    pending.add(new Watch(System.nanoTime() + timeout.toNanos(), watched, onExpiry));
    if (!watchedSinceLastSweep) {
      watchedSinceLastSweep = true;
    }
    Thread sleeping = parked;
    if (sleeping != null) {
      LockSupport.unpark(sleeping);
    } else if (thread == null) {
      start(); // decides under the lock
    }
  }

  private synchronized void start() {
    if (thread == null) {
      thread = new Thread(this::run, "nameko4j-cache-deadlines");
      thread.setDaemon(true);
      thread.start();
    }
  }

  private void run() {
    long tick = TICK.toNanos();
    long emptySince = System.nanoTime();
    while (true) {
      LockSupport.parkNanos(this, tick);
      long now = System.nanoTime();
      sweep(now);
      if (watchedSinceLastSweep || !pending.isEmpty()) {
        watchedSinceLastSweep = false;
        emptySince = now;
      } else if (now - emptySince > NAP_AFTER.toNanos()) {
        if (!sleepUntilNeeded()) {
          return;
        }
        emptySince = System.nanoTime();
      }
    }
  }

  /** Drops what completed, fires what expired. */
  private void sweep(long now) {
    for (Iterator<Watch> it = pending.iterator(); it.hasNext(); ) {
      Watch w = it.next();
      if (w.watched().isDone()) {
        it.remove();
      } else if (now - w.deadlineNanos() >= 0) {
        it.remove();
        try {
          w.onExpiry().run();
        } catch (RuntimeException | Error e) {
          // an expiry action must not stop the others'; ours only complete futures
        }
      }
    }
  }

  /** Sleeps while there is nothing to watch; false once idle for {@link #IDLE} (the thread then ends). */
  private boolean sleepUntilNeeded() {
    long until = System.nanoTime() + IDLE.toNanos();
    parked = Thread.currentThread();
    try {
      while (pending.isEmpty()) { // re-checked after publishing `parked`: watch() may have just added
        long left = until - System.nanoTime();
        if (left <= 0) {
          synchronized (this) {
            if (!pending.isEmpty()) {
              break;
            }
            thread = null;
          }
          if (!pending.isEmpty()) {
            start(); // a watch() that saw this thread still running while it decided to end
          }
          return false;
        }
        LockSupport.parkNanos(this, left);
      }
      return true;
    } finally {
      parked = null;
    }
  }
}
