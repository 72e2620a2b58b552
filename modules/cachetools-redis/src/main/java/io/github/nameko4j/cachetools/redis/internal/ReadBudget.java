package io.github.nameko4j.cachetools.redis.internal;

import java.time.Duration;

/**
 * How long a caller waits for a read before treating it as a miss: TCP's retransmission-timeout
 * rule applied to the store's recent reads, the smoothed read time plus four times its variation,
 * never below the floor and never above the ceiling. Read times are measured in this process,
 * from sending the command to handling its answer, so a busy JVM (a burst, a CPU-throttled
 * container) raises the budget with them instead of turning every read into a miss. Thread-safe.
 */
public final class ReadBudget {
  private final long floorNanos;
  private final long ceilingNanos;
  private long smoothed = -1; // guarded by this
  private long variation; // guarded by this
  private volatile long budgetNanos;

  public ReadBudget(Duration floor, Duration ceiling) {
    this.floorNanos = floor.toNanos();
    this.ceilingNanos = Math.max(floorNanos, ceiling.toNanos());
    this.budgetNanos = floorNanos;
  }

  /** A read answered after {@code nanos}. */
  public void record(long nanos) {
    long budget;
    synchronized (this) {
      if (smoothed < 0) {
        smoothed = nanos;
        variation = nanos / 2;
      } else {
        long error = nanos - smoothed;
        smoothed += error / 8;
        variation += (Math.abs(error) - variation) / 4;
      }
      budget = smoothed + 4 * variation;
    }
    budgetNanos = Math.min(ceilingNanos, Math.max(floorNanos, budget));
  }

  /** The budget now. */
  public Duration current() {
    return Duration.ofNanos(budgetNanos);
  }

  public long currentNanos() {
    return budgetNanos;
  }
}
