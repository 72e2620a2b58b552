package io.github.nameko4j.cachetools.redis.internal;

import io.github.nameko4j.cachetools.internal.ThrottledLog;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the store's commands through a circuit breaker: a command that fails or times out becomes
 * its fallback value, never an exception for the caller; after repeated failures Redis is skipped
 * for a while (the proxies see an empty cache) and probed again. Thread-safe.
 */
public final class GuardedCommands {
  private static final Logger LOG = LoggerFactory.getLogger(GuardedCommands.class);

  private final RedisLink link;
  private final String description;
  private final CircuitBreaker breaker;
  private final ThrottledLog failureLog = new ThrottledLog(LOG, Duration.ofSeconds(10));
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private volatile boolean closed;

  public GuardedCommands(RedisLink link, String name, String description, Duration openCircuit) {
    this.link = link;
    this.description = description;
    this.breaker = CircuitBreaker.of("cachetools-redis-" + name, CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(20)
        .minimumNumberOfCalls(10)
        .failureRateThreshold(50)
        .waitDurationInOpenState(openCircuit)
        .permittedNumberOfCallsInHalfOpenState(3)
        .build());
  }

  /** Runs one command; every failure, a skipped command included, becomes {@code fallback}. */
  public <T> CompletableFuture<T> run(String what, Function<RedisClusterAsyncCommands<byte[], byte[]>, CompletionStage<T>> command,
      T fallback) {
    if (closed) {
      return CompletableFuture.completedFuture(fallback);
    }
    RedisClusterAsyncCommands<byte[], byte[]> c = link.commands();
    if (c == null || !breaker.tryAcquirePermission()) {
      skipped.incrementAndGet();
      return CompletableFuture.completedFuture(fallback);
    }
    long start = System.nanoTime();
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      command.apply(c).whenComplete((value, error) -> {
        long took = System.nanoTime() - start;
        if (error == null) {
          breaker.onSuccess(took, TimeUnit.NANOSECONDS);
          result.complete(value);
        } else {
          failed(what, error, took);
          result.complete(fallback);
        }
      });
    } catch (RuntimeException e) {
      failed(what, e, System.nanoTime() - start);
      result.complete(fallback);
    }
    return result;
  }

  private void failed(String what, Throwable error, long tookNanos) {
    failures.incrementAndGet();
    breaker.onError(tookNanos, TimeUnit.NANOSECONDS, error);
    failureLog.warn("Redis {} failed ({}; circuit {}): {}", what, description, breaker.getState(), rootMessage(error));
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  public long failures() {
    return failures.get();
  }

  public long skipped() {
    return skipped.get();
  }

  public CircuitBreaker.State state() {
    return breaker.getState();
  }

  public void close() {
    closed = true;
  }
}
