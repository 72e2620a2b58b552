package io.github.nameko4j.cachetools.redis;

import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.ScopeStamps;
import io.github.nameko4j.cachetools.internal.Closed;
import io.github.nameko4j.cachetools.internal.ThrottledLog;
import io.github.nameko4j.cachetools.redis.internal.Announcements;
import io.github.nameko4j.cachetools.redis.internal.Compression;
import io.github.nameko4j.cachetools.redis.internal.GuardedCommands;
import io.github.nameko4j.cachetools.redis.internal.Leases;
import io.github.nameko4j.cachetools.redis.internal.NearCache;
import io.github.nameko4j.cachetools.redis.internal.RedisLink;
import io.github.nameko4j.cachetools.redis.internal.RedisScopeStamps;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.internal.Names;
import io.github.nameko4j.cachetools.redis.internal.ReadBudget;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * {@code SET ... PX} command. An entry without a ttl expires after {@code maxEntryLifetime}
 * (default 24 h), so Redis never grows without bound. Values of 8 KiB or more are stored
 * LZ4-compressed when that makes them smaller ({@link Builder#compressAbove}); a compressed value
 * that does not decompress within {@link Builder#maxValueBytes} is a miss.
 *
 * <p><b>Slow is not down; failures never reach the caller.</b> A caller waits for a read at most
 * the read budget (the soft timeout: at least {@code readBudget}, 20 ms by default, more when the
 * store's recent reads took longer, see {@link #lookupBudget()}, at most {@code maxReadBudget},
 * 250 ms) and then treats it as a miss; the command itself goes on and its answer still feeds
 * later callers. Only errors and commands with no answer within {@code commandTimeout} (the hard
 * timeout, 1 s by default) are failures; writes end only at that timeout. After repeated failures
 * on a node, its circuit opens: lookups of that node's keys are misses (their calls go to the
 * service, or to the replies the proxy just got) and writes to it are skipped, for {@code
 * openCircuitDuration}; then it is probed again. A cluster has one circuit per master, so a dead
 * master costs only its own slots. Opening and closing are logged (WARN, INFO); {@link #state()},
 * {@link #failures()} and {@link #skipped()} say the rest.
 *
 * <p><b>Resources</b>: stores that create their client share one set of Lettuce resources (event
 * loops, timer) per JVM, released with the last of them. Thread-safe: one shared connection.
 * {@link #close()} closes what the store created; a client passed in by the user stays open.
 */
public final class RedisCacheStore implements CacheStore {
  private static final Logger LOG = LoggerFactory.getLogger(RedisCacheStore.class);
  /** Default hard timeout of every command: no answer within it is a failure. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(1);
  /** Default least read budget: how long a caller waits for a read before it is a miss for that caller. */
  public static final Duration DEFAULT_READ_BUDGET = Duration.ofMillis(20);
  /** Default greatest read budget, however slow recent reads were. */
  public static final Duration DEFAULT_MAX_READ_BUDGET = Duration.ofMillis(250);
  /** Default timeout of connecting to Redis. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);
  /** Default time the open circuit skips Redis before probing it again. */
  public static final Duration DEFAULT_OPEN_CIRCUIT = Duration.ofSeconds(2);
  /** Default Redis expiry of entries whose policy has no ttl. */
  public static final Duration DEFAULT_MAX_ENTRY_LIFETIME = Duration.ofHours(24);
  /** Default size from which values are compressed (LZ4) in Redis. */
  public static final int DEFAULT_COMPRESS_ABOVE_BYTES = 8 * 1024;
  /** Default most a compressed value may decompress to: the default codec's own limit. */
  public static final int DEFAULT_MAX_VALUE_BYTES = 16 * 1024 * 1024;

  private final String prefix;
  private final String description;
  private final Duration maxEntryLifetime;
  private final RedisLink link;
  private final ReadBudget readBudget;
  private final GuardedCommands commands;
  private final Leases leases;
  private final Announcements announcements;
  private final RedisScopeStamps stamps;
  private final NearCache near;
  private final Compression compression;
  private final ThrottledLog corrupt = new ThrottledLog(LOG, Duration.ofSeconds(10));
  private volatile boolean closed;

  private RedisCacheStore(Builder b) {
    this.prefix = "nameko4j:" + b.namespace + ":";
    this.maxEntryLifetime = b.maxEntryLifetime;
    this.compression = new Compression(b.compressAbove, b.maxValueBytes);
    RedisLink.Options options = new RedisLink.Options(b.commandTimeout, b.connectTimeout, b.trustedCertificates);
    if (b.userClient != null) {
      this.description = "RedisCacheStore{namespace=" + b.namespace + ", client=user-provided}";
      this.link = RedisLink.user(b.userClient, b.userUri, description);
    } else {
      this.description = "RedisCacheStore{namespace=" + b.namespace + ", uri=" + redact(b.uris.get(0)) + (b.cluster ? ", cluster" : "") + "}";
      this.link = b.cluster ? RedisLink.cluster(b.redisUris, options, description) : RedisLink.standalone(b.redisUris.get(0), options, description);
    }
    this.readBudget = new ReadBudget(b.readBudget, b.maxReadBudget);
    this.commands = new GuardedCommands(link, b.namespace, description, b.openCircuit, readBudget);
    this.leases = new Leases(commands);
    this.announcements = new Announcements(link, commands, prefix + "invalidations", description);
    this.stamps = new RedisScopeStamps(b.namespace, commands, announcements, b.maxEntryLifetime);
    this.near = b.nearCacheSize > 0 ? new NearCache(announcements, b.nearCacheSize, b.nearCacheTtl) : null;
    // Connect now, but do not fail the build: a store that cannot reach Redis is an empty cache.
    try {
      link.connect().get(b.connectTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn("Redis not reachable at start ({}); the cache is empty until it is: {}", description, e.toString());
    }
    announcements.start(); // once the topology is known, or retried until it is
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
    if (closed) {
      return Closed.future(description, "get"); // the near cache included
    }
    byte[] k = key(key);
    if (near == null) {
      return commands.read("get", k, c -> c.get(k)).thenApply(stored -> expand(key, k, stored));
    }
    CompletableFuture<byte[]> local = near.get(key);
    if (local != null) {
      return local;
    }
    long seen = near.version();
    // GET and PTTL pipelined on one connection: the near copy must not outlive the Redis entry.
    return commands.read("get", k, c -> c.get(k).thenCombine(c.pttl(k), Read::new)).thenApply(read -> {
      byte[] value = expand(key, k, read.value());
      near.fill(key, value, value == null ? -2 : read.pttl() == null ? -2 : read.pttl(), seen);
      return value;
    });
  }

  private record Read(byte[] value, Long pttl) {}

  /**
   * The value as written, decompressed if it was compressed. One that cannot be (corrupt, a bomb
   * claiming more than the limit) is a miss and is deleted: never an OutOfMemoryError, never a
   * failed call.
   */
  private byte[] expand(String key, byte[] k, byte[] stored) {
    try {
      return compression.decode(stored);
    } catch (CodecException e) {
      corrupt.warn("dropping cache value {} that does not decompress ({} bytes): {}", key, stored.length, e.getMessage());
      commands.run("delete", k, c -> c.del(k));
      return null;
    }
  }

  @Override
  public CompletableFuture<Void> put(String key, byte[] value, Duration ttl) {
    if (closed) {
      return Closed.future(description, "put");
    }
    byte[] k = key(key);
    Duration expiry = ttl == null ? maxEntryLifetime : ttl;
    byte[] stored = compression.encode(value);
    CompletableFuture<Void> written = commands.run("put", k, c -> c.set(k, stored, SetArgs.Builder.px(Math.max(1, expiry.toMillis()))))
        .thenApply(ok -> null);
    if (near == null) {
      return written;
    }
    near.put(key, value, expiry);
    return announced(written, key);
  }

  @Override
  public CompletableFuture<Void> delete(String key) {
    if (closed) {
      return Closed.future(description, "delete");
    }
    byte[] k = key(key);
    CompletableFuture<Void> deleted = commands.run("delete", k, c -> c.del(k)).thenApply(n -> null);
    if (near == null) {
      return deleted;
    }
    near.invalidate(key);
    return announced(deleted, key);
  }

  /**
   * The write, then its announcement to the other near caches. One connection (standalone) runs
   * commands in order, so the announcement is sent at once, right behind the write; a cluster
   * sends them on different connections, so it waits for the write.
   */
  private CompletableFuture<Void> announced(CompletableFuture<Void> write, String key) {
    if (link.isCluster()) {
      return write.thenCompose(v -> near.announce("K", key));
    }
    CompletableFuture<Void> announcement = near.announce("K", key);
    return write.thenCombine(announcement, (a, b) -> null);
  }

  /**
   * Deletes every key under {@code prefix} with SCAN and DEL (on a cluster, on every master). Not
   * subject to the circuit breaker: an explicit invalidation reports its failure.
   */
  @Override
  public CompletableFuture<Long> deleteByPrefix(String prefix) {
    if (closed) {
      return Closed.future(description, "deleteByPrefix");
    }
    RedisClusterAsyncCommands<byte[], byte[]> c = link.commands();
    if (c == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("Redis is not connected (" + description + ")"));
    }
    ScanArgs args = ScanArgs.Builder.matches(this.prefix + prefix + "*").limit(500);
    CompletableFuture<Long> removed = scanAndDelete(c, ScanCursor.INITIAL, args, 0L);
    if (near == null) {
      return removed;
    }
    near.invalidatePrefix(prefix);
    return removed.thenCompose(n -> near.announce("P", prefix).thenApply(v -> n));
  }

  private CompletableFuture<Long> scanAndDelete(RedisClusterAsyncCommands<byte[], byte[]> c, ScanCursor cursor, ScanArgs args, long soFar) {
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

  /** Entries in the near cache (0 when it is off or was just cleared). */
  public long nearCacheSize() {
    return near == null ? 0 : near.size();
  }

  @Override
  public CompletableFuture<Boolean> tryLease(String key, String owner, Duration ttl) {
    if (closed) {
      return Closed.future(description, "tryLease");
    }
    return leases.tryLease(key(key + ":lease"), owner, ttl);
  }

  @Override
  public CompletableFuture<Void> releaseLease(String key, String owner) {
    if (closed) {
      return Closed.future(description, "releaseLease");
    }
    return leases.release(key(key + ":lease"), owner);
  }

  /** Every command has its own timeout (and the near cache answers at once). */
  @Override
  public boolean boundsItsOwnLatency() {
    return link.ownsClient();
  }

  /**
   * The read budget now: TCP's retransmission-timeout rule on this store's recent reads (their
   * smoothed time plus four times its variation, measured in this process from sending a command
   * to handling its answer), at least {@code readBudget} and at most {@code maxReadBudget}. A busy
   * JVM's slower reads raise it, so a burst does not turn every read into a miss.
   */
  @Override
  public Duration lookupBudget() {
    return readBudget.current();
  }

  /** With a near cache, hot keys answer before {@code get} returns. */
  @Override
  public boolean completesInline() {
    return near != null;
  }

  /**
   * Whether the store holds an open connection to Redis right now. A store that is not connected
   * is an empty cache: every lookup a miss, every write skipped (it keeps trying to connect).
   *
   * @return true while connected
   */
  public boolean isConnected() {
    return link.isOpen();
  }

  /** Commands that failed (an error, or no answer within {@code commandTimeout}) since the store was built. */
  public long failures() {
    return commands.failures();
  }

  /** Of {@link #failures()}, the commands that got no answer within {@code commandTimeout}. */
  public long timeouts() {
    return commands.timeouts();
  }

  /** Whether the store is using Redis, for health checks and metrics. */
  public enum State {
    /** Connected, every node's circuit closed: the shared cache works. */
    UP,
    /** Some nodes' circuits are open or probing: their keys skip Redis, the others' do not. */
    DEGRADED,
    /** Not connected, or every circuit open: every lookup is a miss, every write skipped. */
    DOWN,
    /** {@link #close()} was called. */
    CLOSED
  }

  /**
   * Whether the shared cache works now: what a health check reports. A store that is DOWN never
   * fails a call, but every call then goes to the service.
   *
   * @return the store's state
   */
  public State state() {
    if (closed) {
      return State.CLOSED;
    }
    if (!link.isOpen()) {
      return State.DOWN;
    }
    long open = 0;
    long closedCircuits = 0;
    for (CircuitBreaker.State s : commands.states()) {
      if (s == CircuitBreaker.State.CLOSED) {
        closedCircuits++;
      } else {
        open++;
      }
    }
    if (open == 0) {
      return State.UP;
    }
    return closedCircuits == 0 && commands.states().stream().allMatch(s -> s == CircuitBreaker.State.OPEN || s == CircuitBreaker.State.FORCED_OPEN)
        ? State.DOWN : State.DEGRADED;
  }

  /** Operations answered without asking Redis (circuit open, or not connected). */
  public long skipped() {
    return commands.skipped();
  }

  /** The state of the store's circuit breaker. */
  public enum CircuitState {
    /** Using Redis. */
    CLOSED,
    /** Skipping Redis after repeated failures: every lookup is a miss, every write skipped. */
    OPEN,
    /** Letting a few commands through to see whether Redis is back. */
    HALF_OPEN
  }

  /**
   * The circuit breakers' state: OPEN if any node's circuit is open, else HALF_OPEN if any is
   * probing, else CLOSED; OPEN once the store is closed. {@link #state()} says how much of the
   * cache that affects.
   *
   * @return whether the store uses Redis, skips it (on some node), or is probing it
   */
  public CircuitState circuitState() {
    if (closed) {
      return CircuitState.OPEN; // nothing reaches Redis any more
    }
    CircuitState worst = CircuitState.CLOSED;
    for (CircuitBreaker.State s : commands.states()) {
      if (s == CircuitBreaker.State.OPEN || s == CircuitBreaker.State.FORCED_OPEN) {
        return CircuitState.OPEN;
      }
      if (s == CircuitBreaker.State.HALF_OPEN) {
        worst = CircuitState.HALF_OPEN;
      }
    }
    return worst;
  }

  /** The key Redis holds for a store key, e.g. for inspection in tests and tools. */
  public String redisKey(String key) {
    return prefix + key;
  }

  /** Closes the connection, and the client if the store created it. Idempotent. */
  @Override
  public void close() {
    closed = true;
    commands.close();
    announcements.close();
    link.close();
  }

  /**
   * The namespace's invalidation stamps, shared by every process that uses it: a counter and a
   * hash under {@code nameko4j:{<namespace>}:inv} (one hash slot), announced on the invalidations
   * channel; kept for {@code maxEntryLifetime} (older ones raise a floor instead).
   */
  @Override
  public ScopeStamps scopeStamps() {
    return stamps;
  }

  /** Every replica using this namespace shares its entries and invalidations. */
  @Override
  public boolean sharedBetweenProcesses() {
    return true;
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
    private Duration readBudget = DEFAULT_READ_BUDGET;
    private Duration maxReadBudget = DEFAULT_MAX_READ_BUDGET;
    private Duration maxEntryLifetime = DEFAULT_MAX_ENTRY_LIFETIME;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration openCircuit = DEFAULT_OPEN_CIRCUIT;
    private File trustedCertificates;
    private long nearCacheSize;
    private Duration nearCacheTtl = Duration.ofSeconds(30);
    private int compressAbove = DEFAULT_COMPRESS_ABOVE_BYTES;
    private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;

    /**
     * Values of at least this many bytes are stored LZ4-compressed in Redis, when that makes them
     * smaller: less memory in Redis and less on the network, for a little CPU on each side.
     * Compressed values say so in their first bytes; every store reads them whatever its own
     * setting, and values stored uncompressed stay readable. Default 8 KiB.
     *
     * @param bytes at least 64; see {@link #noCompression()} to turn it off
     * @return this builder
     */
    public Builder compressAbove(int bytes) {
      if (bytes < 64) {
        throw new IllegalArgumentException("compressAbove must be at least 64 bytes (noCompression() turns it off), was " + bytes);
      }
      this.compressAbove = bytes;
      return this;
    }

    /**
     * Stores every value as it is (compressed values other replicas write are still read).
     *
     * @return this builder
     */
    public Builder noCompression() {
      this.compressAbove = 0;
      return this;
    }

    /**
     * The most a compressed value may decompress to; one claiming more is a miss (and deleted),
     * never an allocation of what it claims. Default 16 MiB, the default codec's own limit.
     *
     * @param bytes at least 1024
     * @return this builder
     */
    public Builder maxValueBytes(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxValueBytes must be at least 1024, was " + bytes);
      }
      this.maxValueBytes = bytes;
      return this;
    }

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
      List<RedisURI> parsed = new ArrayList<>();
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
    public Builder trustedCertificates(File pemFile) {
      if (pemFile == null || !pemFile.isFile()) {
        throw new IllegalArgumentException("trustedCertificates must be a readable PEM file, was " + pemFile);
      }
      this.trustedCertificates = pemFile;
      return this;
    }

    /**
     * The hard timeout of every command (reads, writes, leases, invalidations): a command with no
     * answer within it fails, and counts towards opening the circuit. Default 1 s.
     *
     * @param timeout positive, at most 1 hour
     * @return this builder
     */
    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = positive("commandTimeout", timeout);
      return this;
    }

    /**
     * The least read budget: a caller waits at least this long for a read before it is a miss
     * for that caller (the command goes on, and is no failure). The budget grows with the store's
     * recent read times, up to {@link #maxReadBudget}. Default 20 ms.
     *
     * @param floor positive, at most 1 hour
     * @return this builder
     */
    public Builder readBudget(Duration floor) {
      this.readBudget = positive("readBudget", floor);
      return this;
    }

    /**
     * The greatest read budget, however slow recent reads were. Default 250 ms.
     *
     * @param ceiling positive, at most 1 hour
     * @return this builder
     */
    public Builder maxReadBudget(Duration ceiling) {
      this.maxReadBudget = positive("maxReadBudget", ceiling);
      return this;
    }

    /**
     * How long Redis keeps an entry whose policy has no ttl (the proxies' default): without a
     * bound, a long-running service would grow Redis forever. Default 24 hours; at most 365 days.
     */
    public Builder maxEntryLifetime(Duration lifetime) {
      if (lifetime == null || lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(Duration.ofDays(365)) > 0) {
        throw new IllegalArgumentException("maxEntryLifetime must be positive and at most 365 days, was " + lifetime);
      }
      this.maxEntryLifetime = lifetime;
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
      if (maxReadBudget.compareTo(readBudget) < 0) {
        throw new IllegalStateException("maxReadBudget (" + maxReadBudget.toMillis() + " ms) must not be below readBudget ("
            + readBudget.toMillis() + " ms)");
      }
      return new RedisCacheStore(this);
    }
  }
}
