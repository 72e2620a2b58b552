package io.github.nameko4j.rpc.internal;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The pool a hosted service or an event subscriber runs its handlers on. */
public final class Workers {
  private Workers() {}

  /**
   * {@code size} daemon threads named {@code <prefix>-1}, {@code <prefix>-2}...; work beyond them
   * waits in the queue, which the prefetch (= {@code size}) keeps short.
   */
  public static ThreadPoolExecutor pool(String prefix, int size) {
    AtomicInteger threads = new AtomicInteger();
    return new ThreadPoolExecutor(size, size, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, prefix + "-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }
}
