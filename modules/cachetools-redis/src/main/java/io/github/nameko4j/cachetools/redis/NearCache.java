package io.github.nameko4j.cachetools.redis;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.github.nameko4j.rpc.internal.Ids;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The near cache of a {@link RedisCacheStore}: Caffeine in front, Redis pub/sub for invalidation.
 * Messages are {@code <origin> K <key>} or {@code <origin> P <prefix>}; a replica ignores its own.
 */
final class NearCache implements AutoCloseable {
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

  private final io.lettuce.core.RedisURI uri;

  NearCache(AbstractRedisClient client, io.lettuce.core.RedisURI uri, String channel, long maxEntries, Duration maxAge, String description) {
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
      public void onRedisDisconnected(io.lettuce.core.RedisChannelHandler<?, ?> connection) {
        // Invalidations sent while we cannot hear them are lost: forget everything, and stop
        // filling until we are subscribed again.
        subscribed = false;
        clear();
      }

      @Override
      public void onRedisConnected(io.lettuce.core.RedisChannelHandler<?, ?> connection, SocketAddress address) {
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
  CompletableFuture<byte[]> get(String key) {
    if (!subscribed) {
      return null;
    }
    Held held = cache.getIfPresent(key);
    return held == null ? null : held.value();
  }

  long version() {
    return version.get();
  }

  /** Keeps a value read from Redis, unless an invalidation arrived since the read started. */
  void fill(String key, byte[] value, long versionBeforeRead) {
    if (value != null && subscribed && version.get() == versionBeforeRead) {
      cache.put(key, new Held(value, maxAgeNanos));
    }
  }

  void put(String key, byte[] value, Duration ttl) {
    version.incrementAndGet();
    if (subscribed) {
      long ttlNanos = ttl == null ? maxAgeNanos : Math.min(maxAgeNanos, ttl.toNanos());
      cache.put(key, new Held(value, ttlNanos));
    }
  }

  void invalidate(String key) {
    version.incrementAndGet();
    cache.invalidate(key);
  }

  void invalidatePrefix(String prefix) {
    version.incrementAndGet();
    cache.asMap().keySet().removeIf(k -> k.startsWith(prefix));
  }

  void clear() {
    version.incrementAndGet();
    cache.invalidateAll();
  }

  long size() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  /** Tells the other replicas; never fails the caller. */
  CompletableFuture<Void> announce(String kind, String keyOrPrefix) {
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
