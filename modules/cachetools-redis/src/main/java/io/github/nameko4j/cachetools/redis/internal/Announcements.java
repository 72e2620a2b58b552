package io.github.nameko4j.cachetools.redis.internal;

import io.github.nameko4j.cachetools.internal.ThrottledLog;
import io.github.nameko4j.rpc.internal.Ids;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store's announcements to the other users of its namespace, over Redis pub/sub on {@code
 * nameko4j:<namespace>:invalidations}: messages {@code <origin> <kind> <rest>}, a process ignoring
 * its own. It subscribes once the store's topology is known and keeps retrying every second for
 * as long as it is not subscribed (a cluster node it subscribed on may die). Whoever listens hears
 * when it is subscribed again, since messages sent meanwhile are lost. Thread-safe.
 */
public final class Announcements implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Announcements.class);
  /** How often it tries again while not subscribed. */
  static final Duration RESUBSCRIBE_EVERY = Duration.ofSeconds(1);

  /** Hears announcements and the subscription's state; called on Lettuce's threads: quick, never throwing. */
  public interface Listener {
    void message(String kind, String rest);

    /** Subscribed (again): anything announced before may have been missed. */
    void subscribed();

    /** No longer sure to hear announcements. */
    void lost();
  }

  private final RedisLink link;
  private final GuardedCommands commands;
  private final String channel;
  private final byte[] channelBytes;
  private final String description;
  private final String origin = Ids.uuid();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final ThrottledLog offLog = new ThrottledLog(LOG, Duration.ofMinutes(1));
  private final AtomicBoolean subscribing = new AtomicBoolean();
  private volatile boolean subscribed;
  private volatile boolean closed;
  private volatile StatefulRedisPubSubConnection<String, String> pubsub;
  private volatile ScheduledFuture<?> watchdog;

  public Announcements(RedisLink link, GuardedCommands commands, String channel, String description) {
    this.link = link;
    this.commands = commands;
    this.channel = channel;
    this.channelBytes = channel.getBytes(StandardCharsets.UTF_8);
    this.description = description;
    link.client().addListener(new RedisConnectionStateListener() {
      @Override
      public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
        // Announcements sent while we may not hear them are lost: say so, and subscribe again on
        // a connection that is up.
        if (subscribed) {
          subscribed = false;
          listeners.forEach(Listener::lost);
        }
      }
    });
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /** Subscribes, and keeps trying every second while not subscribed. */
  public void start() {
    watchdog = link.client().getResources().eventExecutorGroup().scheduleWithFixedDelay(this::ensureSubscribed,
        0, RESUBSCRIBE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean subscribed() {
    return subscribed;
  }

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
          offLog.warn("{} cannot hear other replicas' invalidations until it subscribes to {} (retrying every {} ms): {}",
              description, channel, RESUBSCRIBE_EVERY.toMillis(), GuardedCommands.rootMessage(error));
        }
        StatefulRedisPubSubConnection<String, String> failed = pubsub;
        if (failed != null) {
          failed.closeAsync();
        }
      } else {
        subscribed = true;
        listeners.forEach(Listener::subscribed);
      }
      subscribing.set(false);
    });
  }

  private void onMessage(String message) {
    String[] parts = message.split(" ", 3);
    if (parts.length != 3 || parts[0].equals(origin)) {
      return;
    }
    for (Listener l : listeners) {
      l.message(parts[1], parts[2]);
    }
  }

  /**
   * Publishes on the store's command connection, so that it reaches Redis after the commands
   * sent before it on that connection. Never fails the caller.
   */
  public CompletableFuture<Void> publish(String kind, String rest) {
    byte[] message = message(kind, rest).getBytes(StandardCharsets.UTF_8);
    return commands.run("announce", null, c -> c.publish(channelBytes, message)).handle((n, e) -> {
      if (e != null) {
        LOG.debug("announcement not published: {}", e.toString());
      }
      return null;
    });
  }

  /** The message {@link #publish} would send, for scripts that publish themselves. */
  public String message(String kind, String rest) {
    return origin + " " + kind + " " + rest;
  }

  public String channel() {
    return channel;
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
