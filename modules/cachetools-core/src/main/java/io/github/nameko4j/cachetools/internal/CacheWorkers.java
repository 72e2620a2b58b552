package io.github.nameko4j.cachetools.internal;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The proxies' default executor: where decoding, encoding and storing run when the caller gives
 * none, off the store's I/O threads and the RPC client's delivery thread. One small pool for the
 * JVM ({@code max(2, cores)} daemon threads named {@code nameko4j-cache-N}), created on first use;
 * idle threads end after {@link #IDLE}, so a JVM that stops using the proxies keeps none.
 *
 * <p>Not {@code ForkJoinPool.commonPool()}: with one or two cores its single worker parks and is
 * woken on every hand-off, which tripled the time of a Redis hit (about 200 µs a hand-off), and
 * the application's own parallel streams compete for it.
 */
public final class CacheWorkers {
  /** How long an idle thread of the pool waits for work before it ends. */
  public static final Duration IDLE = Duration.ofSeconds(30);

  private CacheWorkers() {}

  private static final class Holder {
    static final ThreadPoolExecutor POOL = create();
  }

  /** The shared pool. */
  public static Executor shared() {
    return Holder.POOL;
  }

  /** Threads the pool may run. */
  public static int size() {
    return Holder.POOL.getMaximumPoolSize();
  }

  private static ThreadPoolExecutor create() {
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, IDLE.toMillis(), TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "nameko4j-cache-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
