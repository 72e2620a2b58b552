package io.github.nameko4j.cachetools.redis.internal;

import io.github.nameko4j.cachetools.CacheStoreException;
import io.github.nameko4j.cachetools.internal.Closed;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the store's commands through one circuit breaker per Redis node (per master of a cluster):
 * after repeated failures on a node, commands for its keys are skipped for a while (a miss for
 * lookups, a write not made) and then probed again, while every other node's keys go on. Only
 * errors and commands with no answer within the hard timeout count as failures: a read that a
 * caller stopped waiting for (its budget) is not one. Failures complete the command's future with
 * a {@link CacheStoreException}. Thread-safe.
 */
public final class GuardedCommands {
  private static final Logger LOG = LoggerFactory.getLogger(GuardedCommands.class);

  private final RedisLink link;
  private final String name;
  private final String description;
  private final Duration openCircuit;
  private final ReadBudget reads;
  private final Map<String, Node> nodes = new ConcurrentHashMap<>();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong timeouts = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private volatile boolean closed;

  /** One node's breaker and what it saw. */
  private final class Node {
    final String id;
    final CircuitBreaker breaker;
    final AtomicLong skippedWhileOpen = new AtomicLong();
    volatile String lastFailure = "";
    volatile long openedAt;

    Node(String id) {
      this.id = id;
      this.breaker = CircuitBreaker.of("cachetools-redis-" + name + "-" + id, CircuitBreakerConfig.custom()
          .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
          .slidingWindowSize(20)
          .minimumNumberOfCalls(10)
          .failureRateThreshold(50)
          .waitDurationInOpenState(openCircuit)
          .permittedNumberOfCallsInHalfOpenState(3)
          .build());
      breaker.getEventPublisher().onStateTransition(e -> transition(e.getStateTransition().getToState()));
    }

    private void transition(CircuitBreaker.State to) {
      String where = RedisLink.STANDALONE.equals(id) ? "" : " node " + id;
      if (to == CircuitBreaker.State.OPEN && openedAt == 0) {
        openedAt = System.nanoTime();
        skippedWhileOpen.set(0);
        LOG.warn("{}{}: {} of the last {} commands failed (last: {}); the circuit is open: lookups of its keys are misses"
            + " and their calls go to the service, writes are skipped; probing again in {} ms", description, where,
            breaker.getMetrics().getNumberOfFailedCalls(), breaker.getMetrics().getNumberOfBufferedCalls(), lastFailure,
            openCircuit.toMillis());
      } else if (to == CircuitBreaker.State.CLOSED && openedAt != 0) {
        LOG.info("{}{}: Redis answers again; the circuit closed after {} ms, during which {} commands skipped Redis",
            description, where, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedAt), skippedWhileOpen.get());
        openedAt = 0;
      }
    }
  }

  public GuardedCommands(RedisLink link, String name, String description, Duration openCircuit, ReadBudget reads) {
    this.link = link;
    this.name = name;
    this.description = description;
    this.openCircuit = openCircuit;
    this.reads = reads;
  }

  private Node node(byte[] key) {
    String id = key == null ? RedisLink.STANDALONE : link.nodeFor(key);
    Node n = nodes.get(id);
    return n != null ? n : nodes.computeIfAbsent(id, Node::new);
  }

  /** A read (GET...): as {@link #run}, its answer time feeding the read budget. */
  public <T> CompletableFuture<T> read(String what, byte[] key, Function<RedisClusterAsyncCommands<byte[], byte[]>, CompletionStage<T>> command) {
    return run(what, key, command, true);
  }

  /**
   * Runs one command on the node of {@code key} (null: a command without a key). Its future
   * fails with a {@link CacheStoreException}: SKIPPED while the node's circuit is open or the
   * store is not connected, TIMED_OUT past the hard timeout, FAILED on an error, CLOSED after
   * {@link #close()}.
   */
  public <T> CompletableFuture<T> run(String what, byte[] key, Function<RedisClusterAsyncCommands<byte[], byte[]>, CompletionStage<T>> command) {
    return run(what, key, command, false);
  }

  private <T> CompletableFuture<T> run(String what, byte[] key, Function<RedisClusterAsyncCommands<byte[], byte[]>, CompletionStage<T>> command,
      boolean read) {
    if (closed) {
      return Closed.future(description, "Redis " + what);
    }
    RedisClusterAsyncCommands<byte[], byte[]> c = link.commands();
    Node node = c == null ? null : node(key);
    if (c == null || !node.breaker.tryAcquirePermission()) {
      skipped.incrementAndGet();
      if (node != null) {
        node.skippedWhileOpen.incrementAndGet();
      }
      return CompletableFuture.failedFuture(new CacheStoreException(CacheStoreException.Reason.SKIPPED, description + ": Redis " + what
          + " skipped (" + (c == null ? "not connected" : "circuit open") + ")", null));
    }
    long start = System.nanoTime();
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      command.apply(c).whenComplete((value, error) -> {
        long took = System.nanoTime() - start;
        if (error == null) {
          node.breaker.onSuccess(took, TimeUnit.NANOSECONDS);
          if (read) {
            reads.record(took);
          }
          result.complete(value);
        } else {
          result.completeExceptionally(failed(node, what, error, took));
        }
      });
    } catch (RuntimeException e) {
      result.completeExceptionally(failed(node, what, e, System.nanoTime() - start));
    }
    return result;
  }

  private CacheStoreException failed(Node node, String what, Throwable error, long tookNanos) {
    String why = rootMessage(error);
    if (transientClusterState(rootCause(error))) {
      // The node answered, and says the cluster is between two states (a failover under way):
      // a miss for now, not a sign that this node is down.
      node.breaker.releasePermission();
      return new CacheStoreException(CacheStoreException.Reason.FAILED, description + ": Redis " + what + ": " + why, error);
    }
    failures.incrementAndGet();
    boolean timedOut = rootCause(error) instanceof RedisCommandTimeoutException;
    if (timedOut) {
      timeouts.incrementAndGet();
    }
    node.lastFailure = what + ": " + why;
    node.breaker.onError(tookNanos, TimeUnit.NANOSECONDS, error);
    return new CacheStoreException(timedOut ? CacheStoreException.Reason.TIMED_OUT : CacheStoreException.Reason.FAILED,
        description + ": Redis " + what + " failed: " + why, error);
  }

  /** CLUSTERDOWN, TRYAGAIN, LOADING: a cluster in the middle of a failover or a node starting up. */
  private static boolean transientClusterState(Throwable e) {
    String m = e instanceof RedisCommandExecutionException ? e.getMessage() : null;
    return m != null && (m.startsWith("CLUSTERDOWN") || m.startsWith("TRYAGAIN") || m.startsWith("LOADING"));
  }

  private static Throwable rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  static String rootMessage(Throwable e) {
    Throwable t = rootCause(e);
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  /** Commands that failed or timed out since the store was built. */
  public long failures() {
    return failures.get();
  }

  /** Of {@link #failures()}, those that got no answer within the hard timeout. */
  public long timeouts() {
    return timeouts.get();
  }

  public long skipped() {
    return skipped.get();
  }

  /**
   * The breakers' states on the nodes that hold keys now (a cluster's current masters; breakers
   * of nodes that left the topology, such as a dead master replaced by its replica, are dropped).
   */
  public Collection<CircuitBreaker.State> states() {
    Set<String> current = link.nodeIds();
    nodes.keySet().removeIf(id -> !current.contains(id) && !RedisLink.STANDALONE.equals(id));
    return nodes.values().stream().filter(n -> current.contains(n.id)).map(n -> n.breaker.getState()).toList();
  }

  public void close() {
    closed = true;
  }
}
