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
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.File;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's Lettuce client and its one shared connection: which client (standalone, cluster,
 * or the user's), with which options, connected when, closed how. Thread-safe.
 */
public final class RedisLink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RedisLink.class);
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
  /** The node id of a standalone (or Sentinel) Redis, and of commands without a key. */
  public static final String STANDALONE = "standalone";
  /** How often a cluster's topology is read again, besides Lettuce's adaptive triggers. */
  public static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(1);

  /**
   * How the store's own clients are set up.
   *
   * @param commandTimeout the hard timeout of every command: no answer within it is a failure
   */
  public record Options(Duration commandTimeout, Duration connectTimeout, File trustedCertificates) {}

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
    // A replica promoted after its master died is noticed within about a second: periodically,
    // and at once on Lettuce's adaptive triggers (MOVED, persistent reconnects...).
    b.topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
        .enablePeriodicRefresh(TOPOLOGY_REFRESH)
        .enableAllAdaptiveRefreshTriggers()
        .adaptiveRefreshTriggersTimeout(TOPOLOGY_REFRESH)
        .dynamicRefreshSources(true)
        .build());
    c.setOptions(b.build());
    return new RedisLink(c, null, true, description);
  }

  /** The user's client, used as it is and never closed by us. */
  public static RedisLink user(AbstractRedisClient client, RedisURI uri, String description) {
    return new RedisLink(client, uri, false, description);
  }

  private static void configure(ClientOptions.Builder b, Options options, ClientOptions.DisconnectedBehavior whenDisconnected) {
    // The hard timeout only: a caller stops waiting for a read at its budget (the soft timeout),
    // but the command goes on, and only no answer at all within this counts as a failure.
    TimeoutOptions timeouts = TimeoutOptions.enabled(options.commandTimeout());
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

  /** The node that holds {@code key}: a cluster master's id, else {@link #STANDALONE}. */
  public String nodeFor(byte[] key) {
    if (!(client instanceof RedisClusterClient)) {
      return STANDALONE;
    }
    try {
      RedisClusterNode node = ((RedisClusterClient) client).getPartitions().getPartitionBySlot(SlotHash.getSlot(key));
      return node == null ? STANDALONE : node.getNodeId();
    } catch (RuntimeException e) {
      return STANDALONE; // topology not loaded yet
    }
  }

  /** The nodes that hold keys now: a cluster's masters, else {@link #STANDALONE}. */
  public Set<String> nodeIds() {
    if (!(client instanceof RedisClusterClient)) {
      return Set.of(STANDALONE);
    }
    try {
      Set<String> ids = new HashSet<>();
      for (RedisClusterNode node : ((RedisClusterClient) client).getPartitions()) {
        if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.getSlots().isEmpty()) {
          ids.add(node.getNodeId());
        }
      }
      return ids;
    } catch (RuntimeException e) {
      return Set.of();
    }
  }

  public boolean isCluster() {
    return client instanceof RedisClusterClient;
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

  /** A new pub/sub connection (a cluster's once its topology is known). */
  @SuppressWarnings("unchecked")
  public CompletableFuture<StatefulRedisPubSubConnection<String, String>> connectPubSub() {
    if (client instanceof RedisClusterClient) {
      RedisClusterClient cluster = (RedisClusterClient) client;
      return cluster.refreshPartitionsAsync().toCompletableFuture()
          .thenCompose(v -> cluster.connectPubSubAsync(StringCodec.UTF8))
          .thenApply(c -> (StatefulRedisPubSubConnection<String, String>) c);
    }
    return ((RedisClient) client).connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture();
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
