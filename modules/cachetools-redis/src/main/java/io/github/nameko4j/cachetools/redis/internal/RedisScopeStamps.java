package io.github.nameko4j.cachetools.redis.internal;

import io.github.nameko4j.cachetools.CacheStoreException;
import io.github.nameko4j.cachetools.ScopeStamps;
import io.lettuce.core.KeyValue;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Invalidation stamps shared by every process of a namespace, in Redis: a counter, a hash of the
 * latest stamp of each invalidated scope, and a floor. One Lua script gives a scope its stamp
 * (INCR, HSET) and announces it, atomically; the keys share one hash slot ({@code {ns}}), so it
 * works on a cluster. Each process keeps the hash in memory: loaded whenever it subscribes (again)
 * to the announcements, kept current by them; until loaded, {@link #known()} is false and the
 * proxies trust no entry. A scope's stamp is kept as long as an entry could still depend on it
 * ({@code retention}); trimming older ones raises the floor to them, so an entry is never thought
 * fresh for want of its scope's stamp, only (at worst) stale. Thread-safe.
 */
public final class RedisScopeStamps implements ScopeStamps, Announcements.Listener {
  /** At most this many scopes trimmed per invalidation: the work of one stays bounded. */
  static final int TRIM_BATCH = 100;

  // KEYS: hash, seq, times (zset), floor. ARGV: scope, now ms, retention ms, channel, message prefix.
  private static final String INVALIDATE = String.join("\n",
      "local s = redis.call('INCR', KEYS[2])",
      "redis.call('HSET', KEYS[1], ARGV[1], s)",
      "redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])",
      "local old = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]), 'LIMIT', 0, " + TRIM_BATCH + ")",
      "if #old > 0 then",
      "  local top = tonumber(redis.call('GET', KEYS[4]) or '0')",
      "  for _, scope in ipairs(old) do",
      "    local stamp = tonumber(redis.call('HGET', KEYS[1], scope) or '0')",
      "    if stamp > top then top = stamp end",
      "  end",
      "  redis.call('SET', KEYS[4], top)",
      "  redis.call('HDEL', KEYS[1], unpack(old))",
      "  redis.call('ZREM', KEYS[3], unpack(old))",
      "end",
      "redis.call('PUBLISH', ARGV[4], ARGV[5] .. s .. ' ' .. ARGV[1])",
      "return s");

  private final GuardedCommands commands;
  private final Announcements announcements;
  private final long retentionMillis;
  private final byte[][] keys;
  private final Map<String, Long> stamps = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicLong floor = new AtomicLong();
  private final AtomicLong loads = new AtomicLong(); // which load is the latest
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean known;

  /**
   * @param retention how long an entry may live in the store at most: a scope's stamp is kept that long
   */
  public RedisScopeStamps(String namespace, GuardedCommands commands, Announcements announcements, Duration retention) {
    this.commands = commands;
    this.announcements = announcements;
    this.retentionMillis = retention.toMillis();
    String base = "nameko4j:{" + namespace + "}:inv";
    this.keys = new byte[][] {bytes(base), bytes(base + ":seq"), bytes(base + ":times"), bytes(base + ":floor")};
    announcements.addListener(this);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public long current() {
    return sequence.get();
  }

  @Override
  public long stampOf(String scope) {
    Long stamp = stamps.get(scope);
    return Math.max(floor.get(), stamp == null ? 0 : stamp);
  }

  @Override
  public boolean known() {
    return known;
  }

  @Override
  public CompletableFuture<Long> invalidate(String scope) {
    byte[][] args = {bytes(scope), bytes(Long.toString(System.currentTimeMillis())), bytes(Long.toString(retentionMillis)),
        bytes(announcements.channel()), bytes(announcements.message("I", ""))};
    return commands.<Long>run("invalidate", keys[0], c -> c.eval(INVALIDATE, ScriptOutputType.INTEGER, keys, args))
        .thenApply(stamp -> {
          apply(scope, stamp);
          return stamp;
        });
  }

  /** The stamps of {@code scopes} (and the floor) read from Redis into this view: used while not {@link #known()}. */
  @Override
  public CompletableFuture<Void> refresh(Collection<String> scopes) {
    byte[][] fields = scopes.stream().map(RedisScopeStamps::bytes).toArray(byte[][]::new);
    CompletableFuture<List<KeyValue<byte[], byte[]>>> values = commands.run("read stamps", keys[0], c -> c.hmget(keys[0], fields));
    CompletableFuture<byte[]> floorNow = commands.run("read stamps", keys[0], c -> c.get(keys[3]));
    return values.thenCombine(floorNow, (list, f) -> {
      for (KeyValue<byte[], byte[]> kv : list) {
        if (kv.hasValue()) {
          stamps.merge(new String(kv.getKey(), StandardCharsets.UTF_8), number(kv.getValue()), Math::max);
        }
      }
      floor.accumulateAndGet(number(f), Math::max);
      return null;
    });
  }

  private void apply(String scope, long stamp) {
    stamps.merge(scope, stamp, Math::max);
    sequence.accumulateAndGet(stamp, Math::max);
    for (Consumer<String> l : listeners) {
      l.accept(scope);
    }
  }

  @Override
  public void addListener(Consumer<String> listener) {
    listeners.add(listener);
  }

  @Override
  public void message(String kind, String rest) {
    if (!kind.equals("I")) {
      return;
    }
    int space = rest.indexOf(' ');
    if (space > 0) {
      try {
        apply(rest.substring(space + 1), Long.parseLong(rest.substring(0, space)));
      } catch (NumberFormatException e) {
        // not ours: ignored
      }
    }
  }

  /** Subscribed (again): what was invalidated meanwhile is read from Redis before any entry is trusted. */
  @Override
  public void subscribed() {
    long load = loads.incrementAndGet();
    CompletableFuture<Map<byte[], byte[]>> all = commands.run("load stamps", keys[0], c -> c.hgetall(keys[0]));
    CompletableFuture<List<KeyValue<byte[], byte[]>>> counters =
        commands.run("load stamps", keys[0], c -> c.mget(keys[1], keys[3]));
    all.thenCombine(counters, (hash, values) -> {
      if (loads.get() != load) {
        return null; // a later subscription loads again
      }
      hash.forEach((scope, stamp) -> stamps.merge(new String(scope, StandardCharsets.UTF_8), number(stamp), Math::max));
      sequence.accumulateAndGet(number(values.get(0).getValueOrElse(null)), Math::max);
      floor.accumulateAndGet(number(values.get(1).getValueOrElse(null)), Math::max);
      known = true;
      return null;
    }).exceptionally(e -> {
      scheduleRetry(load); // stays unknown until loaded
      return null;
    });
  }

  /** A failed load is retried while nothing newer started one. */
  private void scheduleRetry(long load) {
    CompletableFuture.delayedExecutor(Announcements.RESUBSCRIBE_EVERY.toMillis(), TimeUnit.MILLISECONDS)
        .execute(() -> {
          if (loads.get() == load && announcements.subscribed()) {
            subscribed();
          }
        });
  }

  @Override
  public void lost() {
    known = false;
  }

  private static long number(byte[] value) {
    if (value == null) {
      return 0;
    }
    try {
      return Long.parseLong(new String(value, StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      throw new CacheStoreException(CacheStoreException.Reason.FAILED, "invalidation stamp is not a number", e);
    }
  }
}
