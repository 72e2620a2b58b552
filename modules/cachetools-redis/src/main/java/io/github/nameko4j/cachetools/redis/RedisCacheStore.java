package io.github.nameko4j.cachetools.redis;

import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.redis.internal.GuardedCommands;
import io.github.nameko4j.cachetools.redis.internal.Leases;
import io.github.nameko4j.cachetools.redis.internal.NearCache;
import io.github.nameko4j.cachetools.redis.internal.RedisLink;
import io.github.nameko4j.rpc.internal.Names;
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
 * (default 24 h), so Redis never grows without bound.
 *
 * <p><b>Failures never reach the caller.</b> Every read has a short timeout (default 20 ms),
 * every write a longer one (default 500 ms); commands are rejected, not queued, while
 * disconnected; after repeated failures a circuit breaker skips Redis for a while (the proxies
 * then see an empty cache and every call goes to the service) and closes again by itself once
 * Redis answers. Failures are logged at most every 10 s and counted ({@link #failures()}).
 *
 * <p><b>Resources</b>: stores that create their client share one set of Lettuce resources (event
 * loops, timer) per JVM, released with the last of them. Thread-safe: one shared connection.
 * {@link #close()} closes what the store created; a client passed in by the user stays open.
 */
public final class RedisCacheStore implements CacheStore {
  private static final Logger LOG = LoggerFactory.getLogger(RedisCacheStore.class);
  /** Default timeout of each read (GET, PTTL). */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(20);
  /** Default timeout of each write (SET, DEL, leases, invalidation messages). */
  public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofMillis(500);
  /** Default timeout of connecting to Redis. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);
  /** Default time the open circuit skips Redis before probing it again. */
  public static final Duration DEFAULT_OPEN_CIRCUIT = Duration.ofSeconds(2);
  /** Default Redis expiry of entries whose policy has no ttl. */
  public static final Duration DEFAULT_MAX_ENTRY_LIFETIME = Duration.ofHours(24);

  private final String prefix;
  private final String description;
  private final Duration maxEntryLifetime;
  private final RedisLink link;
  private final GuardedCommands commands;
  private final Leases leases;
  private final NearCache near;

  private RedisCacheStore(Builder b) {
    this.prefix = "nameko4j:" + b.namespace + ":";
    this.maxEntryLifetime = b.maxEntryLifetime;
    RedisLink.Options options = new RedisLink.Options(b.commandTimeout, b.writeTimeout, b.connectTimeout, b.trustedCertificates);
    if (b.userClient != null) {
      this.description = "RedisCacheStore{namespace=" + b.namespace + ", client=user-provided}";
      this.link = RedisLink.user(b.userClient, b.userUri, description);
    } else {
      this.description = "RedisCacheStore{namespace=" + b.namespace + ", uri=" + redact(b.uris.get(0)) + (b.cluster ? ", cluster" : "") + "}";
      this.link = b.cluster ? RedisLink.cluster(b.redisUris, options, description) : RedisLink.standalone(b.redisUris.get(0), options, description);
    }
    this.commands = new GuardedCommands(link, b.namespace, description, b.openCircuit);
    this.leases = new Leases(commands);
    this.near = b.nearCacheSize > 0
        ? new NearCache(link.client(), link.uri(), prefix + "invalidations", b.nearCacheSize, b.nearCacheTtl, description)
        : null;
    // Connect now, but do not fail the build: a store that cannot reach Redis is an empty cache.
    try {
      link.connect().get(b.connectTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn("Redis not reachable at start ({}); the cache is empty until it is: {}", description, e.toString());
    }
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
    if (near == null) {
      return commands.run("get", c -> c.get(key(key)), null);
    }
    CompletableFuture<byte[]> local = near.get(key);
    if (local != null) {
      return local;
    }
    long seen = near.version();
    byte[] k = key(key);
    // GET and PTTL pipelined on one connection: the near copy must not outlive the Redis entry.
    return commands.run("get", c -> c.get(k).thenCombine(c.pttl(k), Read::new), null).thenApply(read -> {
      if (read == null) {
        return null;
      }
      near.fill(key, read.value(), read.pttl() == null ? -2 : read.pttl(), seen);
      return read.value();
    });
  }

  private record Read(byte[] value, Long pttl) {}

  @Override
  public CompletableFuture<Void> put(String key, byte[] value, Duration ttl) {
    byte[] k = key(key);
    Duration expiry = ttl == null ? maxEntryLifetime : ttl;
    CompletableFuture<Void> written = commands.run("put", c -> c.set(k, value, SetArgs.Builder.px(Math.max(1, expiry.toMillis()))), null)
        .thenApply(ok -> null);
    if (near == null) {
      return written;
    }
    near.put(key, value, expiry);
    return written.thenCompose(v -> near.announce("K", key));
  }

  @Override
  public CompletableFuture<Void> delete(String key) {
    CompletableFuture<Void> deleted = commands.run("delete", c -> c.del(key(key)), null).thenApply(n -> null);
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
    return leases.tryLease(key(key + ":lease"), owner, ttl);
  }

  @Override
  public CompletableFuture<Void> releaseLease(String key, String owner) {
    return leases.release(key(key + ":lease"), owner);
  }

  /** Every command has its own timeout (and the near cache answers at once). */
  @Override
  public boolean boundsItsOwnLatency() {
    return link.ownsClient();
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

  /** Commands that failed or timed out since the store was built. */
  public long failures() {
    return commands.failures();
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
   * The circuit breaker's state.
   *
   * @return whether the store uses Redis, skips it, or is probing it
   */
  public CircuitState circuitState() {
    switch (commands.state()) {
      case OPEN:
      case FORCED_OPEN:
        return CircuitState.OPEN;
      case HALF_OPEN:
        return CircuitState.HALF_OPEN;
      default:
        return CircuitState.CLOSED;
    }
  }

  /** The key Redis holds for a store key, e.g. for inspection in tests and tools. */
  public String redisKey(String key) {
    return prefix + key;
  }

  /** Closes the connection, and the client if the store created it. Idempotent. */
  @Override
  public void close() {
    commands.close();
    if (near != null) {
      near.close();
    }
    link.close();
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
    private Duration writeTimeout = DEFAULT_WRITE_TIMEOUT;
    private Duration maxEntryLifetime = DEFAULT_MAX_ENTRY_LIFETIME;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration openCircuit = DEFAULT_OPEN_CIRCUIT;
    private File trustedCertificates;
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

    /** The timeout of each read (GET, PTTL); past it the lookup is a miss. Default 20 ms. */
    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = positive("commandTimeout", timeout);
      return this;
    }

    /**
     * The timeout of each write (the SET of a reply, DEL, leases, invalidation messages): longer
     * than reads, because a write that misses its budget under load is a reply never cached.
     * Default 500 ms.
     */
    public Builder writeTimeout(Duration timeout) {
      this.writeTimeout = positive("writeTimeout", timeout);
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
      return new RedisCacheStore(this);
    }
  }
}
