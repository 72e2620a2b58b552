package io.github.nameko4j.cachetools.redis.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.github.nameko4j.cachetools.internal.ThrottledLog;
import io.github.nameko4j.rpc.internal.Ids;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The near cache of a Redis store: Caffeine in front, Redis pub/sub for invalidation. Messages
 * are {@code <origin> K <key>} or {@code <origin> P <prefix>}; a replica ignores its own. An
 * entry never outlives the Redis entry it copies: it is kept for at most the time Redis has left
 * on that entry (read with it), or the ttl it was written with, and never longer than maxAge.
 */
public final class NearCache implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NearCache.class);

  /** How often a near cache that is not subscribed tries again. */
  static final Duration RESUBSCRIBE_EVERY = Duration.ofSeconds(1);

  private final Cache<String, Held> cache;
  private final long maxAgeNanos;
  private final String channel;
  private final byte[] channelBytes;
  private final String origin = Ids.uuid();
  private final RedisLink link;
  private final GuardedCommands commands;
  private final String description;
  private final ThrottledLog offLog = new ThrottledLog(LOG, Duration.ofMinutes(1));
  // Bumped by every invalidation: a value read from Redis is kept only if none arrived meanwhile.
  private final AtomicLong version = new AtomicLong();
  private final AtomicBoolean subscribing = new AtomicBoolean();
  private volatile boolean subscribed;
  private volatile boolean closed;
  private volatile StatefulRedisPubSubConnection<String, String> pubsub;
  private volatile ScheduledFuture<?> watchdog;

  /** The value, already wrapped in the future a hit returns: a hit allocates nothing. */
  private record Held(CompletableFuture<byte[]> value, long ttlNanos) {
    Held(byte[] bytes, long ttlNanos) {
      this(CompletableFuture.completedFuture(bytes), ttlNanos);
    }
  }

  public NearCache(RedisLink link, GuardedCommands commands, String channel, long maxEntries, Duration maxAge, String description) {
    this.link = link;
    this.commands = commands;
    this.channel = channel;
    this.channelBytes = channel.getBytes(StandardCharsets.UTF_8);
    this.description = description;
    this.maxAgeNanos = maxAge.toNanos();
    this.cache = Caffeine.newBuilder()
        .maximumSize(maxEntries)
        .executor(Runnable::run)
        .expireAfter(new Expiry<String, Held>() {
          @Override
          public long expireAfterCreate(String key, Held value, long now) {
            return value.ttlNanos();
          }

          @Override
          public long expireAfterUpdate(String key, Held value, long now, long current) {
            return value.ttlNanos();
          }

          @Override
          public long expireAfterRead(String key, Held value, long now, long current) {
            return current;
          }
        })
        .build();
    link.client().addListener(new RedisConnectionStateListener() {
      @Override
      public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
        // Invalidations sent while we may not hear them are lost: forget everything, and stop
        // filling until subscribed again on a connection that is up.
        subscribed = false;
        clear();
      }
    });
  }

  /**
   * Subscribes, and keeps trying every second for as long as it is not subscribed: a cluster's
   * topology may not be known yet, the node it subscribed on may die.
   */
  public void start() {
    watchdog = link.client().getResources().eventExecutorGroup().scheduleWithFixedDelay(this::ensureSubscribed,
        0, RESUBSCRIBE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Subscribes on a fresh connection unless subscribed or trying already. */
  private void ensureSubscribed() {
    if (subscribed || closed || !subscribing.compareAndSet(false, true)) {
      return;
    }
    StatefulRedisPubSubConnection<String, String> old = pubsub;
    pubsub = null;
    if (old != null) {
      old.closeAsync();
    }
    CompletableFuture<StatefulRedisPubSubConnection<String, String>> connecting;
    try {
      connecting = link.connectPubSub();
    } catch (RuntimeException e) {
      connecting = CompletableFuture.failedFuture(e);
    }
    connecting.thenCompose(conn -> {
      conn.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void message(String ch, String message) {
          onMessage(message);
        }
      });
      pubsub = conn;
      return conn.async().subscribe(channel).toCompletableFuture().thenApply(v -> conn);
    }).whenComplete((conn, error) -> {
      if (error != null || closed) {
        if (error != null) {
          offLog.warn("near cache of {} is off until it can subscribe to {} (retrying every {} ms): {}", description, channel,
              RESUBSCRIBE_EVERY.toMillis(), GuardedCommands.rootMessage(error));
        }
        StatefulRedisPubSubConnection<String, String> failed = pubsub;
        if (failed != null && (closed || error != null)) {
          failed.closeAsync();
        }
      } else {
        clear(); // anything held from before the gap may be stale
        subscribed = true;
      }
      subscribing.set(false);
    });
  }

  private void onMessage(String message) {
    String[] parts = message.split(" ", 3);
    if (parts.length != 3 || parts[0].equals(origin)) {
      return;
    }
    if (parts[1].equals("K")) {
      invalidate(parts[2]);
    } else if (parts[1].equals("P")) {
      invalidatePrefix(parts[2]);
    }
  }

  /** The held value as a completed future, or null. */
  public CompletableFuture<byte[]> get(String key) {
    if (!subscribed) {
      return null;
    }
    Held held = cache.getIfPresent(key);
    return held == null ? null : held.value();
  }

  public long version() {
    return version.get();
  }

  /**
   * Keeps a value read from Redis for no longer than Redis keeps it ({@code pttlMillis}, as PTTL
   * answered with it: -1 for no expiry), unless an invalidation arrived since the read started.
   */
  public void fill(String key, byte[] value, long pttlMillis, long versionBeforeRead) {
    if (value == null || pttlMillis == -2 || pttlMillis == 0 || !subscribed || version.get() != versionBeforeRead) {
      return;
    }
    long nanos = pttlMillis < 0 ? maxAgeNanos : Math.min(maxAgeNanos, TimeUnit.MILLISECONDS.toNanos(pttlMillis));
    cache.put(key, new Held(value, nanos));
  }

  public void put(String key, byte[] value, Duration ttl) {
    version.incrementAndGet();
    if (subscribed) {
      long ttlNanos = ttl == null ? maxAgeNanos : Math.min(maxAgeNanos, ttl.toNanos());
      cache.put(key, new Held(value, ttlNanos));
    }
  }

  public void invalidate(String key) {
    version.incrementAndGet();
    cache.invalidate(key);
  }

  public void invalidatePrefix(String prefix) {
    version.incrementAndGet();
    cache.asMap().keySet().removeIf(k -> k.startsWith(prefix));
  }

  public void clear() {
    version.incrementAndGet();
    cache.invalidateAll();
  }

  public long size() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  /**
   * Tells the other replicas, on the store's command connection: sent right after the write it
   * announces, so Redis runs the two in that order and no replica can read the old value after
   * hearing of the new one. Never fails the caller.
   */
  public CompletableFuture<Void> announce(String kind, String keyOrPrefix) {
    byte[] message = (origin + " " + kind + " " + keyOrPrefix).getBytes(StandardCharsets.UTF_8);
    return commands.run("announce", null, c -> c.publish(channelBytes, message)).handle((n, e) -> {
      if (e != null) {
        LOG.debug("near cache invalidation not published: {}", e.toString());
      }
      return null;
    });
  }

  /** True while subscribed: only then are values kept. */
  public boolean isSubscribed() {
    return subscribed;
  }

  @Override
  public void close() {
    closed = true;
    subscribed = false;
    ScheduledFuture<?> w = watchdog;
    if (w != null) {
      w.cancel(false);
    }
    StatefulRedisPubSubConnection<String, String> conn = pubsub;
    if (conn != null) {
      conn.close();
    }
  }
}
