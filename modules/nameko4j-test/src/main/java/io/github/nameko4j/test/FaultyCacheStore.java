package io.github.nameko4j.test;

import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.CacheStoreException;
import io.github.nameko4j.cachetools.InMemoryCacheStore;
import io.github.nameko4j.cachetools.ScopeStamps;
import java.time.Duration;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A {@link CacheStore} that misbehaves on demand, around a real one (an in-process store by
 * default): added latency, a failure rate, hangs, corrupt bytes, or down altogether, each switched
 * on and off while a test runs. So a test can say "Redis hangs for 2 s while the dependency
 * fails" in a few lines, without Redis:
 *
 * <pre>{@code
 * FaultyCacheStore store = FaultyCacheStore.create();
 * CachedRpcProxy proxy = CachedRpcProxy.builder(client).service("other_service").store(store).build();
 * proxy.call("do_something", "hi");          // cached
 * store.hang();                              // every operation now waits forever
 * other.fails("do_something", "ValueError", "down");
 * assertThat(proxy.call(...)) ...            // what your code does then
 * store.heal();
 * }</pre>
 *
 * Failures are {@link CacheStoreException}s (reason FAILED), as a real store's; the failure rate
 * draws from a seeded random, so a test is repeatable. Counts what it was asked. Thread-safe.
 */
public final class FaultyCacheStore implements CacheStore {
  private final CacheStore delegate;
  private final Random random;
  private volatile Duration latency = Duration.ZERO;
  private volatile double failureRate;
  private volatile boolean hanging;
  private volatile boolean corrupt;
  private volatile boolean down;
  private final AtomicLong gets = new AtomicLong();
  private final AtomicLong puts = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  private FaultyCacheStore(CacheStore delegate, long seed) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.random = new Random(seed);
  }

  /** Around a fresh in-process store. */
  public static FaultyCacheStore create() {
    return wrap(InMemoryCacheStore.create());
  }

  /** Around {@code store} (for instance a {@code RedisCacheStore} a test owns). */
  public static FaultyCacheStore wrap(CacheStore store) {
    return new FaultyCacheStore(store, 42);
  }

  /** Every operation completes {@code latency} later (a slow store); zero turns it off. */
  public FaultyCacheStore latency(Duration latency) {
    if (latency == null || latency.isNegative()) {
      throw new IllegalArgumentException("latency must be zero or positive, was " + latency);
    }
    this.latency = latency;
    return this;
  }

  /** That share of operations fails, from 0 (none) to 1 (all). */
  public FaultyCacheStore failureRate(double rate) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException("failureRate must be between 0 and 1, was " + rate);
    }
    this.failureRate = rate;
    return this;
  }

  /** Every operation from now on never completes (a hung store: connected, silent). */
  public FaultyCacheStore hang() {
    hanging = true;
    return this;
  }

  /** Reads return bytes no codec can decode (a corrupt or foreign entry). */
  public FaultyCacheStore corrupt(boolean on) {
    corrupt = on;
    return this;
  }

  /** Every operation fails at once (the store is unreachable). */
  public FaultyCacheStore down() {
    down = true;
    return this;
  }

  /** Back to a healthy store: no latency, failures, hang, corruption or outage. Operations already hung stay hung. */
  public FaultyCacheStore heal() {
    latency = Duration.ZERO;
    failureRate = 0;
    hanging = false;
    corrupt = false;
    down = false;
    return this;
  }

  /** Gets asked so far. */
  public long gets() {
    return gets.get();
  }

  /** Puts asked so far. */
  public long puts() {
    return puts.get();
  }

  /** Operations this store failed on purpose so far. */
  public long failedOnPurpose() {
    return failed.get();
  }

  @Override
  public CompletableFuture<byte[]> get(String key) {
    gets.incrementAndGet();
    return faulty("get", () -> delegate.get(key)).thenApply(bytes -> corrupt && bytes != null ? garbage(bytes.length) : bytes);
  }

  @Override
  public CompletableFuture<Void> put(String key, byte[] value, Duration ttl) {
    puts.incrementAndGet();
    return faulty("put", () -> delegate.put(key, value, ttl));
  }

  @Override
  public CompletableFuture<Void> delete(String key) {
    return faulty("delete", () -> delegate.delete(key));
  }

  @Override
  public CompletableFuture<Long> deleteByPrefix(String prefix) {
    return faulty("deleteByPrefix", () -> delegate.deleteByPrefix(prefix));
  }

  @Override
  public CompletableFuture<Boolean> tryLease(String key, String owner, Duration ttl) {
    return faulty("tryLease", () -> delegate.tryLease(key, owner, ttl));
  }

  @Override
  public CompletableFuture<Void> releaseLease(String key, String owner) {
    return faulty("releaseLease", () -> delegate.releaseLease(key, owner));
  }

  /** The wrapped store's stamps: invalidations are not faulted (they are explicit requests of the test). */
  @Override
  public ScopeStamps scopeStamps() {
    return delegate.scopeStamps();
  }

  @Override
  public boolean sharedBetweenProcesses() {
    return delegate.sharedBetweenProcesses();
  }

  @Override
  public void close() {
    delegate.close();
  }

  private <T> CompletableFuture<T> faulty(String operation, Supplier<CompletableFuture<T>> real) {
    if (hanging) {
      return new CompletableFuture<>();
    }
    if (down || (failureRate > 0 && draw() < failureRate)) {
      failed.incrementAndGet();
      return CompletableFuture.failedFuture(new CacheStoreException(CacheStoreException.Reason.FAILED,
          "FaultyCacheStore: " + operation + " failed on purpose", null));
    }
    Duration wait = latency;
    if (wait.isZero()) {
      return real.get();
    }
    Executor later = CompletableFuture.delayedExecutor(wait.toNanos(), TimeUnit.NANOSECONDS);
    return CompletableFuture.supplyAsync(() -> null, later).thenCompose(v -> real.get());
  }

  private double draw() {
    synchronized (random) {
      return random.nextDouble();
    }
  }

  private byte[] garbage(int length) {
    byte[] bytes = new byte[Math.max(length, 8)];
    synchronized (random) {
      random.nextBytes(bytes);
    }
    return bytes;
  }

  @Override
  public String toString() {
    return "FaultyCacheStore{" + delegate + "}";
  }
}
