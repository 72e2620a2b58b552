package io.github.nameko4j.testsupport;

import java.util.ArrayList;
import java.util.List;

/**
 * Threads that keep cores busy while a test runs, to show behaviour on a loaded machine (a busy
 * box, a CPU-throttled container). Assert on outcomes under load, never on times.
 *
 * <pre>{@code
 * try (BusyCores busy = BusyCores.start(2)) { ... }
 * }</pre>
 */
public final class BusyCores implements AutoCloseable {
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stop;
  private volatile long sink;

  private BusyCores(int n) {
    for (int i = 0; i < n; i++) {
      Thread t = new Thread(this::spin, "busy-core-" + i);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
  }

  /** Starts {@code n} threads that spin until {@link #close()}. */
  public static BusyCores start(int n) {
    return new BusyCores(n);
  }

  private void spin() {
    long x = 0;
    while (!stop) {
      x += System.nanoTime() & 7;
    }
    sink = x;
  }

  /** Stops the threads and waits for them. */
  @Override
  public void close() {
    stop = true;
    for (Thread t : threads) {
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
