package io.github.nameko4j.cachetools.redis.internal;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.util.HashedWheelTimer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The Lettuce resources (event loops, timer) shared by every store of the JVM that creates its
 * own client, counted: created with the first such store, released with the last one, threads
 * and timer included. Thread-safe.
 */
public final class SharedResources {
  private static ClientResources resources; // guarded by the class
  private static HashedWheelTimer timer;
  private static int users;

  private SharedResources() {}

  /** The shared resources; every call must be matched by one {@link #release()}. */
  public static synchronized ClientResources acquire() {
    if (users++ == 0) {
      // Lettuce enforces command timeouts with a wheel timer that ticks every 100 ms by default,
      // far coarser than a 20 ms budget: ours ticks every 2 ms. Lettuce never stops a timer it
      // was given, so release() does.
      timer = new HashedWheelTimer(r -> {
        Thread t = new Thread(r, "nameko4j-redis-timeouts");
        t.setDaemon(true);
        return t;
      }, 2, TimeUnit.MILLISECONDS);
      // Lettuce's default reconnect back-off grows to 30 s; recover within 2 s of Redis returning.
      resources = DefaultClientResources.builder()
          .timer(timer)
          .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
          .build();
    }
    return resources;
  }

  /** Releases one use; the last one shuts the event loops and the timer down. */
  public static synchronized void release() {
    if (users == 0) {
      return;
    }
    if (--users == 0) {
      resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
      timer.stop();
      resources = null;
      timer = null;
    }
  }

  /** Stores sharing the resources right now; for tests. */
  public static synchronized int users() {
    return users;
  }
}
