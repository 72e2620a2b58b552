package io.github.nameko4j.cachetools.redis.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.github.nameko4j.rpc.internal.Ids;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final Cache<String, Held> cache;
  private final long maxAgeNanos;
  private final String channel;
  private final String origin = Ids.uuid();
  private final AbstractRedisClient client;
  private final String description;
  // Bumped by every invalidation: a value read from Redis is kept only if none arrived meanwhile.
  private final AtomicLong version = new AtomicLong();
  private volatile boolean subscribed;
  private volatile StatefulRedisPubSubConnection<String, String> pubsub;

  /** The value, already wrapped in the future a hit returns: a hit allocates nothing. */
  private record Held(CompletableFuture<byte[]> value, long ttlNanos) {
    Held(byte[] bytes, long ttlNanos) {
      this(CompletableFuture.completedFuture(bytes), ttlNanos);
    }
  }

  private final RedisURI uri;

  public NearCache(AbstractRedisClient client, RedisURI uri, String channel, long maxEntries, Duration maxAge, String description) {
    this.client = client;
    this.uri = uri;
    this.channel = channel;
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
    client.addListener(new RedisConnectionStateListener() {
      @Override
      public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
        // Invalidations sent while we cannot hear them are lost: forget everything, and stop
        // filling until we are subscribed again.
        subscribed = false;
        clear();
      }

      @Override
      public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
        resubscribe();
      }
    });
    subscribe();
  }

  private void subscribe() {
    CompletableFuture<StatefulRedisPubSubConnection<String, String>> connecting = client instanceof RedisClusterClient
        ? ((RedisClusterClient) client).connectPubSubAsync(StringCodec.UTF8).thenApply(c -> (StatefulRedisPubSubConnection<String, String>) c).toCompletableFuture()
        : ((RedisClient) client).connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture();
    connecting.whenComplete((conn, error) -> {
      if (error != null) {
        LOG.warn("near cache of {} is off: cannot subscribe to {}: {}", description, channel, error.toString());
        return;
      }
      pubsub = conn;
      conn.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void message(String ch, String message) {
          onMessage(message);
        }
      });
      resubscribe();
    });
  }

  private void resubscribe() {
    StatefulRedisPubSubConnection<String, String> conn = pubsub;
    if (conn == null) {
      return;
    }
    conn.async().subscribe(channel).whenComplete((v, error) -> {
      if (error == null) {
        clear(); // anything held from before the gap may be stale
        subscribed = true;
      }
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

  /** Tells the other replicas; never fails the caller. */
  public CompletableFuture<Void> announce(String kind, String keyOrPrefix) {
    StatefulRedisPubSubConnection<String, String> conn = pubsub;
    if (conn == null) {
      return DONE;
    }
    try {
      return conn.async().publish(channel, origin + " " + kind + " " + keyOrPrefix).toCompletableFuture()
          .handle((n, e) -> {
            if (e != null) {
              LOG.debug("near cache invalidation not published: {}", e.toString());
            }
            return null;
          });
    } catch (RuntimeException e) {
      return DONE;
    }
  }

  @Override
  public void close() {
    StatefulRedisPubSubConnection<String, String> conn = pubsub;
    if (conn != null) {
      conn.close();
    }
  }
}
