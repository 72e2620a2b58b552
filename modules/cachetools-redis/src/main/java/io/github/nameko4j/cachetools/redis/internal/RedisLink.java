package io.github.nameko4j.cachetools.redis.internal;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.RedisCommand;
import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's Lettuce client and its one shared connection: which client (standalone, cluster,
 * or the user's), with which options, connected when, closed how. Thread-safe.
 */
public final class RedisLink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RedisLink.class);
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
  /** Commands held to the read budget; every other command (SET, DEL, EVAL...) gets the write budget. */
  private static final Set<ProtocolKeyword> READS = Set.of(CommandType.GET, CommandType.PTTL, CommandType.EXISTS);

  /** How the store's own clients are set up. */
  public record Options(Duration readTimeout, Duration writeTimeout, Duration connectTimeout, File trustedCertificates) {}

  private final AbstractRedisClient client;
  private final RedisURI uri; // null for a cluster
  private final boolean ownsClient;
  private final String description;
  private final Object lock = new Object();
  private volatile StatefulConnection<byte[], byte[]> connection;
  private volatile RedisClusterAsyncCommands<byte[], byte[]> commands;
  private CompletableFuture<Void> connecting; // guarded by lock
  private volatile boolean closed;

  private RedisLink(AbstractRedisClient client, RedisURI uri, boolean ownsClient, String description) {
    this.client = client;
    this.uri = uri;
    this.ownsClient = ownsClient;
    this.description = description;
  }

  /** A standalone or Sentinel client of our own, on the JVM's shared resources. */
  public static RedisLink standalone(RedisURI uri, Options options, String description) {
    RedisClient c = RedisClient.create(SharedResources.acquire());
    ClientOptions.Builder b = ClientOptions.builder();
    configure(b, options, ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
    c.setOptions(b.build());
    return new RedisLink(c, uri, true, description);
  }

  /** A cluster client of our own, on the JVM's shared resources. */
  public static RedisLink cluster(List<RedisURI> nodes, Options options, String description) {
    RedisClusterClient c = RedisClusterClient.create(SharedResources.acquire(), nodes);
    ClusterClientOptions.Builder b = ClusterClientOptions.builder();
    // Lettuce opens a cluster's node connections lazily, and REJECT_COMMANDS would reject the
    // first command to every node. Commands wait for the node instead, still bounded by their
    // timeouts, so a dead node costs at most a timeout all the same.
    configure(b, options, ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS);
    c.setOptions(b.build());
    return new RedisLink(c, null, true, description);
  }

  /** The user's client, used as it is and never closed by us. */
  public static RedisLink user(AbstractRedisClient client, RedisURI uri, String description) {
    return new RedisLink(client, uri, false, description);
  }

  private static void configure(ClientOptions.Builder b, Options options, ClientOptions.DisconnectedBehavior whenDisconnected) {
    long readNanos = options.readTimeout().toNanos();
    long writeNanos = options.writeTimeout().toNanos();
    // Writes are not held to the read budget: a reply's SET that misses 20 ms under load is a
    // reply never cached, and the next replica's miss.
    TimeoutOptions timeouts = TimeoutOptions.builder().timeoutSource(new TimeoutOptions.TimeoutSource() {
      @Override
      public long getTimeout(RedisCommand<?, ?, ?> command) {
        return READS.contains(command.getType()) ? readNanos : writeNanos;
      }

      @Override
      public TimeUnit getTimeUnit() {
        return TimeUnit.NANOSECONDS;
      }
    }).build();
    b.autoReconnect(true)
        .disconnectedBehavior(whenDisconnected)
        .timeoutOptions(timeouts)
        .socketOptions(SocketOptions.builder().connectTimeout(options.connectTimeout()).build());
    if (options.trustedCertificates() != null) {
      b.sslOptions(SslOptions.builder().jdkSslProvider().trustManager(options.trustedCertificates()).build());
    }
  }

  public AbstractRedisClient client() {
    return client;
  }

  /** The standalone URI (for pub/sub connections), null for a cluster. */
  public RedisURI uri() {
    return uri;
  }

  /** True if the store created the client, so every command has its own timeout. */
  public boolean ownsClient() {
    return ownsClient;
  }

  /** The commands of the open connection, or null (and a connection attempt starts). */
  public RedisClusterAsyncCommands<byte[], byte[]> commands() {
    RedisClusterAsyncCommands<byte[], byte[]> c = commands;
    if (c == null) {
      connect();
    }
    return c;
  }

  /** True while the connection is open. */
  public boolean isOpen() {
    StatefulConnection<byte[], byte[]> c = connection;
    return c != null && c.isOpen() && !closed;
  }

  /** Starts connecting unless connected or already trying; never throws. */
  public CompletableFuture<Void> connect() {
    synchronized (lock) {
      if (commands != null || closed) {
        return DONE;
      }
      if (connecting != null && !connecting.isDone()) {
        return connecting;
      }
      CompletableFuture<Void> attempt = new CompletableFuture<>();
      connecting = attempt;
      try {
        open().whenComplete((conn, error) -> {
          if (error != null) {
            attempt.completeExceptionally(error);
            return;
          }
          synchronized (lock) {
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

  private CompletionStage<? extends StatefulConnection<byte[], byte[]>> open() {
    if (client instanceof RedisClusterClient) {
      RedisClusterClient cluster = (RedisClusterClient) client;
      // connectAsync alone fails with "Partitions not initialized": load the topology first.
      return cluster.refreshPartitionsAsync().thenCompose(v -> cluster.connectAsync(ByteArrayCodec.INSTANCE));
    }
    return ((RedisClient) client).connectAsync(ByteArrayCodec.INSTANCE, uri);
  }

  @SuppressWarnings("unchecked")
  private static RedisClusterAsyncCommands<byte[], byte[]> asyncCommands(StatefulConnection<byte[], byte[]> conn) {
    if (conn instanceof StatefulRedisClusterConnection) {
      return ((StatefulRedisClusterConnection<byte[], byte[]>) conn).async();
    }
    return ((StatefulRedisConnection<byte[], byte[]>) conn).async();
  }

  /** Closes the connection, and the client and the shared resources' use if ours. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    StatefulConnection<byte[], byte[]> conn = connection;
    if (conn != null) {
      conn.close();
    }
    if (ownsClient) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      SharedResources.release();
    }
  }
}
