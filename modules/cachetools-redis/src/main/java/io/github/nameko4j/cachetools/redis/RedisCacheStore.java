package io.github.nameko4j.cachetools.redis;

import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.internal.ThrottledLog;
import io.github.nameko4j.rpc.internal.Names;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link CacheStore} in Redis, shared by every replica of the calling service: a warm cache
 * survives restarts and scale-out.
 *
 * <pre>{@code
 * RedisCacheStore store = RedisCacheStore.builder("demo")        // namespace: the calling service
 *     .uri("redis://:secret@localhost:6379/0")
 *     .build();
 * CachedRpcProxy proxy = CachedRpcProxy.builder(client).service("other_service").store(store).build();
 * }</pre>
 *
 * <p><b>Keys</b>: {@code nameko4j:<namespace>:<codec id>:<service>:<method>:<hash>}, one key per
 * entry (so a cluster never needs two slots for one entry). The value is the entry with its
 * freshness deadline; the Redis expiry is the ttl plus the stale window, set with the value in one
 * {@code SET ... PX} command. No ttl means no expiry.
 *
 * <p><b>Failures never reach the caller.</b> Every command has a short timeout (default 20 ms);
 * commands are rejected, not queued, while disconnected; after repeated failures a circuit breaker
 * skips Redis for a while (the proxies then see an empty cache and every call goes to the service)
 * and closes again by itself once Redis answers. Failures are logged at most every 10 s and
 * counted ({@link #failures()}).
 *
 * <p>Thread-safe: one shared connection. {@link #close()} closes what the store created; a client
 * passed in by the user stays open.
 */
public final class RedisCacheStore implements CacheStore {
  private static final Logger LOG = LoggerFactory.getLogger(RedisCacheStore.class);
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(20);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);
  public static final Duration DEFAULT_OPEN_CIRCUIT = Duration.ofSeconds(2);
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final String prefix;
  private final String description;
  private final AbstractRedisClient client;
  private final boolean ownsClient;
  private final Function<AbstractRedisClient, CompletionStage<? extends StatefulConnection<byte[], byte[]>>> connector;
  private final Duration commandTimeout;
  private final CircuitBreaker breaker;
  private final ThrottledLog failureLog = new ThrottledLog(LOG, Duration.ofSeconds(10));
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final Object connectLock = new Object();
  private volatile StatefulConnection<byte[], byte[]> connection;
  private volatile RedisClusterAsyncCommands<byte[], byte[]> commands;
  private volatile CompletableFuture<Void> connecting;
  private volatile boolean closed;
  private final NearCache near;

  private RedisCacheStore(Builder b) {
    this.prefix = "nameko4j:" + b.namespace + ":";
    this.commandTimeout = b.commandTimeout;
    this.breaker = CircuitBreaker.of("cachetools-redis-" + b.namespace, CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(20)
        .minimumNumberOfCalls(10)
        .failureRateThreshold(50)
        .waitDurationInOpenState(b.openCircuit)
        .permittedNumberOfCallsInHalfOpenState(3)
        .build());
    if (b.userClient != null) {
      this.client = b.userClient;
      this.ownsClient = false;
      this.description = "RedisCacheStore{namespace=" + b.namespace + ", client=user-provided}";
    } else {
      this.ownsClient = true;
      this.description = "RedisCacheStore{namespace=" + b.namespace + ", uri=" + redact(b.uris.get(0)) + (b.cluster ? ", cluster" : "") + "}";
      this.client = b.cluster ? clusterClient(b) : standaloneClient(b);
    }
    this.connector = client instanceof RedisClusterClient
        // connectAsync alone fails with "Partitions not initialized": load the topology first.
        ? c -> connectCluster((RedisClusterClient) c)
        : c -> ((RedisClient) c).connectAsync(ByteArrayCodec.INSTANCE, b.userClient == null ? b.redisUris.get(0) : b.userUri);
    this.near = b.nearCacheSize > 0
        ? new NearCache(client, b.userClient == null ? b.redisUris.get(0) : b.userUri, "nameko4j:" + b.namespace + ":invalidations", b.nearCacheSize, b.nearCacheTtl, description)
        : null;
    // Connect now, but do not fail the build: a store that cannot reach Redis is an empty cache.
    CompletableFuture<Void> first = connect();
    try {
      first.get(b.connectTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      failureLog.warn("Redis not reachable at start ({}); the cache is empty until it is: {}", description, rootMessage(e));
    }
  }

  /**
   * Lettuce enforces command timeouts with a wheel timer that ticks every 100 ms by default, far
   * coarser than a 20 ms budget; the clients we create get one ticking every 2 ms.
   */
  private static io.lettuce.core.resource.ClientResources resources() {
    io.netty.util.HashedWheelTimer timer = new io.netty.util.HashedWheelTimer(
        r -> {
          Thread t = new Thread(r, "nameko4j-redis-timeouts");
          t.setDaemon(true);
          return t;
        }, 2, TimeUnit.MILLISECONDS);
    // Lettuce's default reconnect back-off grows to 30 s; recover within 2 s of Redis returning.
    return io.lettuce.core.resource.DefaultClientResources.builder().timer(timer)
        .reconnectDelay(io.lettuce.core.resource.Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
        .build();
  }

  private static RedisClient standaloneClient(Builder b) {
    RedisClient c = RedisClient.create(resources());
    ClientOptions.Builder options = ClientOptions.builder();
    configure(options, b, ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
    c.setOptions(options.build());
    return c;
  }

  private static RedisClusterClient clusterClient(Builder b) {
    RedisClusterClient c = RedisClusterClient.create(resources(), b.redisUris);
    ClusterClientOptions.Builder options = ClusterClientOptions.builder();
    // Lettuce opens a cluster's node connections lazily, and REJECT_COMMANDS would reject the
    // first command to every node. Commands wait for the node instead, still bounded by the
    // per-command timeout, so a dead node costs at most commandTimeout all the same.
    configure(options, b, ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS);
    c.setOptions(options.build());
    return c;
  }

  /** The options every client the store creates gets (the builders are mutable). */
  private static void configure(ClientOptions.Builder options, Builder b, ClientOptions.DisconnectedBehavior whenDisconnected) {
    options.autoReconnect(true)
        .disconnectedBehavior(whenDisconnected)
        .timeoutOptions(TimeoutOptions.enabled(b.commandTimeout))
        .socketOptions(SocketOptions.builder().connectTimeout(b.connectTimeout).build());
    if (b.trustedCertificates != null) {
      options.sslOptions(io.lettuce.core.SslOptions.builder().jdkSslProvider().trustManager(b.trustedCertificates).build());
    }
  }

  /** Starts connecting unless connected or already trying; never throws. */
  private CompletableFuture<Void> connect() {
    synchronized (connectLock) {
      if (commands != null || closed) {
        return DONE;
      }
      if (connecting != null && !connecting.isDone()) {
        return connecting;
      }
      CompletableFuture<Void> attempt = new CompletableFuture<>();
      connecting = attempt;
      try {
        connector.apply(client).whenComplete((conn, error) -> {
          if (error != null) {
            attempt.completeExceptionally(error);
            return;
          }
          synchronized (connectLock) {
            if (closed) {
              conn.closeAsync();
            } else {
              connection = conn;
              commands = asyncCommands(conn);
              LOG.info("{} connected", description);
            }
          }
          attempt.complete(null);
        });
      } catch (RuntimeException e) {
        attempt.completeExceptionally(e);
      }
      return attempt;
    }
  }

  /** connectAsync alone fails with "Partitions not initialized": load the topology first. */
  private static CompletionStage<io.lettuce.core.cluster.api.StatefulRedisClusterConnection<byte[], byte[]>> connectCluster(RedisClusterClient c) {
    return c.refreshPartitionsAsync().thenCompose(v -> c.connectAsync(ByteArrayCodec.INSTANCE));
  }

  @SuppressWarnings("unchecked")
  private static RedisClusterAsyncCommands<byte[], byte[]> asyncCommands(StatefulConnection<byte[], byte[]> conn) {
    if (conn instanceof io.lettuce.core.cluster.api.StatefulRedisClusterConnection) {
      return ((io.lettuce.core.cluster.api.StatefulRedisClusterConnection<byte[], byte[]>) conn).async();
    }
    return ((io.lettuce.core.api.StatefulRedisConnection<byte[], byte[]>) conn).async();
  }

  /** Builds a store whose keys live under {@code nameko4j:<namespace>:}; typically the calling service's name. */
  public static Builder builder(String namespace) {
    return new Builder(namespace);
  }

  private byte[] key(String key) {
    return (prefix + key).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public CompletableFuture<byte[]> get(String key) {
    if (near != null) {
      CompletableFuture<byte[]> local = near.get(key);
      if (local != null) {
        return local;
      }
      long seen = near.version();
      return run("get", c -> c.get(key(key)), null).thenApply(value -> {
        near.fill(key, value, seen);
        return value;
      });
    }
    return run("get", c -> c.get(key(key)), null);
  }

  @Override
  public CompletableFuture<Void> put(String key, byte[] value, Duration ttl) {
    byte[] k = key(key);
    CompletableFuture<Void> written = run("put", c -> ttl == null ? c.set(k, value) : c.set(k, value, SetArgs.Builder.px(Math.max(1, ttl.toMillis()))), null)
        .thenApply(ok -> null);
    if (near == null) {
      return written;
    }
    near.put(key, value, ttl);
    return written.thenCompose(v -> near.announce("K", key));
  }

  @Override
  public CompletableFuture<Void> delete(String key) {
    CompletableFuture<Void> deleted = run("delete", c -> c.del(key(key)), null).thenApply(n -> null);
    if (near == null) {
      return deleted;
    }
    near.invalidate(key);
    return deleted.thenCompose(v -> near.announce("K", key));
  }

  /**
   * Deletes every key under {@code prefix} with SCAN and DEL (on a cluster, on every master). Not
   * subject to the circuit breaker: an explicit invalidation reports its failure.
   */
  @Override
  public CompletableFuture<Long> deleteByPrefix(String prefix) {
    RedisClusterAsyncCommands<byte[], byte[]> c = commands;
    if (c == null) {
      connect();
      return CompletableFuture.failedFuture(new IllegalStateException("Redis is not connected (" + description + ")"));
    }
    io.lettuce.core.ScanArgs args = io.lettuce.core.ScanArgs.Builder.matches(prefix(prefix) + "*").limit(500);
    CompletableFuture<Long> removed = scanAndDelete(c, io.lettuce.core.ScanCursor.INITIAL, args, 0L);
    if (near == null) {
      return removed;
    }
    near.invalidatePrefix(prefix);
    return removed.thenCompose(n -> near.announce("P", prefix).thenApply(v -> n));
  }

  private CompletableFuture<Long> scanAndDelete(RedisClusterAsyncCommands<byte[], byte[]> c, io.lettuce.core.ScanCursor cursor,
      io.lettuce.core.ScanArgs args, long soFar) {
    return c.scan(cursor, args).toCompletableFuture().thenCompose(page -> {
      List<byte[]> keys = page.getKeys();
      CompletableFuture<Long> deleted = keys.isEmpty()
          ? CompletableFuture.completedFuture(0L)
          : c.del(keys.toArray(new byte[0][])).toCompletableFuture();
      return deleted.thenCompose(n -> page.isFinished()
          ? CompletableFuture.completedFuture(soFar + n)
          : scanAndDelete(c, page, args, soFar + n));
    });
  }

  private String prefix(String storeKeyPrefix) {
    return prefix + storeKeyPrefix;
  }

  /** Entries in the near cache (0 when it is off or was just cleared). */
  public long nearCacheSize() {
    return near == null ? 0 : near.size();
  }

  /** {@code SET <lease key> <owner> NX PX <ttl>}: one command, so a crashed owner's lease expires. */
  @Override
  public CompletableFuture<Boolean> tryLease(String key, String owner, Duration ttl) {
    byte[] k = key(key + ":lease");
    byte[] v = owner.getBytes(StandardCharsets.UTF_8);
    // If Redis cannot be asked, grant the lease: never block callers on a broken cache.
    return run("lease", c -> c.set(k, v, SetArgs.Builder.nx().px(Math.max(1, ttl.toMillis()))), "OK")
        .thenApply("OK"::equals);
  }

  private static final String RELEASE_SCRIPT =
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

  /** Deletes the lease only if {@code owner} still holds it (compare and delete, atomically in Lua). */
  @Override
  public CompletableFuture<Void> releaseLease(String key, String owner) {
    byte[] k = key(key + ":lease");
    byte[] v = owner.getBytes(StandardCharsets.UTF_8);
    return run("release", c -> c.<Long>eval(RELEASE_SCRIPT, io.lettuce.core.ScriptOutputType.INTEGER, new byte[][] {k}, v), 0L)
        .thenApply(n -> null);
  }

  /** Runs one command through the circuit breaker; every failure becomes {@code fallback}. */
  private <T> CompletableFuture<T> run(String what, Function<RedisClusterAsyncCommands<byte[], byte[]>, CompletionStage<T>> command, T fallback) {
    if (closed) {
      return CompletableFuture.completedFuture(fallback);
    }
    RedisClusterAsyncCommands<byte[], byte[]> c = commands;
    if (c == null) {
      connect();
      skipped.incrementAndGet();
      return CompletableFuture.completedFuture(fallback);
    }
    if (!breaker.tryAcquirePermission()) {
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
          onFailure(what, error, took);
          result.complete(fallback);
        }
      });
    } catch (RuntimeException e) {
      onFailure(what, e, System.nanoTime() - start);
      result.complete(fallback);
    }
    return result;
  }

  private void onFailure(String what, Throwable error, long tookNanos) {
    failures.incrementAndGet();
    breaker.onError(tookNanos, TimeUnit.NANOSECONDS, error);
    failureLog.warn("Redis {} failed ({}; circuit {}): {}", what, description, breaker.getState(), rootMessage(error));
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  /** Every command has its own timeout (and the near cache answers at once). */
  @Override
  public boolean boundsItsOwnLatency() {
    return ownsClient;
  }

  /** Commands that failed or timed out since the store was built. */
  public long failures() {
    return failures.get();
  }

  /** Operations answered without asking Redis (circuit open, or not connected). */
  public long skipped() {
    return skipped.get();
  }

  /** The circuit breaker's state: CLOSED (using Redis), OPEN (skipping it) or HALF_OPEN (probing). */
  public CircuitBreaker.State circuitState() {
    return breaker.getState();
  }

  /** The key Redis holds for a store key, e.g. for inspection in tests and tools. */
  public String redisKey(String key) {
    return prefix + key;
  }

  /** Closes the connection, and the client if the store created it. Idempotent. */
  @Override
  public void close() {
    synchronized (connectLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    StatefulConnection<byte[], byte[]> conn = connection;
    if (conn != null) {
      conn.close();
    }
    if (near != null) {
      near.close();
    }
    if (ownsClient) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      client.getResources().shutdown(0, 2, TimeUnit.SECONDS);
    }
  }

  @Override
  public String toString() {
    return description;
  }

  /** The URI with its password replaced by {@code ***}. */
  static String redact(String uri) {
    int at = uri.lastIndexOf('@');
    int scheme = uri.indexOf("://");
    if (at < 0 || scheme < 0 || at < scheme) {
      return uri;
    }
    String userInfo = uri.substring(scheme + 3, at);
    int colon = userInfo.indexOf(':');
    String user = colon < 0 ? "" : userInfo.substring(0, colon);
    return uri.substring(0, scheme + 3) + user + ":***" + uri.substring(at);
  }

  /** Builds a {@link RedisCacheStore}. Not thread-safe. */
  public static final class Builder {
    private final String namespace;
    private List<String> uris;
    private List<RedisURI> redisUris;
    private boolean cluster;
    private AbstractRedisClient userClient;
    private RedisURI userUri;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration openCircuit = DEFAULT_OPEN_CIRCUIT;
    private java.io.File trustedCertificates;
    private long nearCacheSize;
    private Duration nearCacheTtl = Duration.ofSeconds(30);

    private Builder(String namespace) {
      this.namespace = Names.require("namespace", namespace);
    }

    /**
     * The Redis to use: {@code redis://[user:password@]host[:port][/database]}, {@code rediss://}
     * for TLS, {@code redis-sentinel://host:26379[,host2:26379]/0#mymaster} for Sentinel.
     */
    public Builder uri(String uri) {
      this.uris = List.of(checkUri(uri));
      this.redisUris = List.of(parse(uri));
      this.cluster = false;
      return this;
    }

    /** A Redis Cluster, from the URIs of one or more of its nodes. */
    public Builder clusterUris(String... uris) {
      if (uris.length == 0) {
        throw new IllegalArgumentException("clusterUris needs at least one node URI");
      }
      List<RedisURI> parsed = new java.util.ArrayList<>();
      for (String u : uris) {
        parsed.add(parse(checkUri(u)));
      }
      this.uris = List.of(uris);
      this.redisUris = List.copyOf(parsed);
      this.cluster = true;
      return this;
    }

    /**
     * A Lettuce client the user owns (and closes); {@code uri} says where it connects. Its options
     * are the user's: set {@code TimeoutOptions} and {@code REJECT_COMMANDS} for fast failure.
     */
    public Builder client(RedisClient client, String uri) {
      this.userClient = Objects.requireNonNull(client, "client must not be null");
      this.userUri = parse(checkUri(uri));
      return this;
    }

    /** A Lettuce cluster client the user owns (and closes). */
    public Builder client(RedisClusterClient client) {
      this.userClient = Objects.requireNonNull(client, "client must not be null");
      return this;
    }

    /**
     * An in-process layer in front of Redis for hot keys (opt-in): a hit costs microseconds, no
     * network. Entries another replica overwrites or deletes are invalidated through Redis pub/sub
     * on {@code nameko4j:<namespace>:invalidations}; when that channel disconnects, the whole near
     * cache is cleared (messages missed meanwhile are lost) and stays off until resubscribed.
     *
     * @param maxEntries at most this many entries, at least 1
     * @param maxAge an entry is kept at most this long (also bounds how long a missed
     *     invalidation could matter); positive, at most 1 hour
     */
    public Builder nearCache(long maxEntries, Duration maxAge) {
      if (maxEntries < 1) {
        throw new IllegalArgumentException("nearCache maxEntries must be at least 1, was " + maxEntries);
      }
      this.nearCacheTtl = positive("nearCache maxAge", maxAge);
      this.nearCacheSize = maxEntries;
      return this;
    }

    /** For {@code rediss://}: trust the certificates in this PEM file (e.g. a private CA) besides the JDK's. */
    public Builder trustedCertificates(java.io.File pemFile) {
      if (pemFile == null || !pemFile.isFile()) {
        throw new IllegalArgumentException("trustedCertificates must be a readable PEM file, was " + pemFile);
      }
      this.trustedCertificates = pemFile;
      return this;
    }

    /** Each Redis command's timeout; past it the operation is a miss. Default 20 ms. */
    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = positive("commandTimeout", timeout);
      return this;
    }

    /** How long connecting may take. Default 1 s. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    /** How long the open circuit skips Redis before probing again. Default 2 s. */
    public Builder openCircuitDuration(Duration duration) {
      this.openCircuit = positive("openCircuitDuration", duration);
      return this;
    }

    private static Duration positive(String name, Duration d) {
      if (d == null || d.isNegative() || d.isZero() || d.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(name + " must be positive and at most 1 hour, was " + d);
      }
      return d;
    }

    private static String checkUri(String uri) {
      if (uri == null || uri.isBlank()) {
        throw new IllegalArgumentException("Redis URI must not be null or blank");
      }
      return uri;
    }

    private static RedisURI parse(String uri) {
      try {
        return RedisURI.create(uri);
      } catch (RuntimeException e) {
        // Lettuce's message may quote the URI, password included.
        throw new IllegalArgumentException("invalid Redis URI " + redact(uri) + ": " + e.getClass().getSimpleName());
      }
    }

    /**
     * Builds the store and starts connecting. Never fails because Redis is unreachable: the store
     * then answers every lookup with a miss until it connects.
     *
     * @throws IllegalStateException neither a URI nor a client was given
     */
    public RedisCacheStore build() {
      if (userClient == null && uris == null) {
        throw new IllegalStateException("set uri(...), clusterUris(...) or client(...) before build()");
      }
      return new RedisCacheStore(this);
    }
  }
}
