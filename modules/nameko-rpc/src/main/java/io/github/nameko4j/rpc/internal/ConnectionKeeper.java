package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Address;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.MalformedFrameException;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import com.rabbitmq.client.ShutdownSignalException;
import io.github.nameko4j.rpc.BrokerSettings;
import io.github.nameko4j.rpc.TransportException;
import java.io.IOException;
import com.rabbitmq.client.SocketConfigurators;
import com.rabbitmq.client.impl.FrameHandlerFactory;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one AMQP connection open to one of the broker's nodes. When the connection drops, or its
 * owner says something on it is beyond repair, every channel is dropped with it and the owner
 * sets everything up again on a new connection: fresh channels, fresh consumers, a fresh reply
 * queue. This replaces the RabbitMQ client's own recovery, which re-declares an exclusive reply
 * queue under its old name and fails for good while the broker still holds the half-open old
 * connection (RESOURCE_LOCKED), and which never recovers a channel the broker closed.
 *
 * <p>Reconnection runs on a thread of its own, with back-off from 100 ms to 5 s, for as long as
 * the keeper is open; why it keeps failing (the broker's own words when it refuses to set up, e.g.
 * a queue whose home node is down) is logged at WARN. {@link #close} wins over a reconnection in
 * progress: the socket being opened is closed, a connection that opens anyway is dropped, and
 * once it returns nothing of the keeper runs. Messages the RabbitMQ client could not read are
 * handed to consumers marked {@link HeaderFrames#UNREADABLE} rather than closing the connection.
 * Thread-safe.
 */
public final class ConnectionKeeper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionKeeper.class);
  private static final long FIRST_RETRY_MILLIS = 100;
  private static final long MAX_RETRY_MILLIS = 5_000;
  /** A reconnection that keeps failing for the same reason is reported again at most this often. */
  private static final long REPEAT_WARNING_NANOS = TimeUnit.SECONDS.toNanos(30);

  /** What the owner does with each connection. Both methods run on the keeper's thread. */
  public interface Session {
    /** Sets up channels and consumers on a new connection; throwing drops it and tries again. */
    void open(Connection connection) throws IOException;

    /** The connection in use is gone (it broke or {@link #reconnect} was called); not called on close. */
    void lost(String why);
  }

  private final BrokerUri broker;
  private final boolean shuffled;
  private final ConnectionFactory factory;
  private final String connectionName;
  private final Session session;
  private final ScheduledThreadPoolExecutor thread;
  private final List<Publisher> watched = new CopyOnWriteArrayList<>();
  // Guards the hand-over between a connection that just opened and close(): one of them wins.
  private final Object lifecycle = new Object();
  private volatile Connection connection;
  private volatile boolean closed;
  private volatile Socket opening; // the socket of the connection being opened, for close() to cut
  private volatile Thread keeperThread;
  // keeper thread only:
  private long retryMillis = FIRST_RETRY_MILLIS;
  private int failedAttempts;
  private long failingSince;
  private String lastFailure;
  private long lastWarning;

  /**
   * @param maxMessageSize the largest message body this connection takes in; a bigger one reaches
   *     its consumer empty and marked {@link HeaderFrames#UNREADABLE}
   */
  public ConnectionKeeper(BrokerSettings settings, String connectionName, Session session) {
    ClientLibraries.requireAmqpClient();
    this.broker = BrokerUri.parse(settings.uri());
    this.shuffled = settings.nodeOrder() == BrokerSettings.NodeOrder.SHUFFLED;
    this.connectionName = connectionName;
    this.session = session;
    this.factory = factory(broker, settings.connectTimeout(), settings.heartbeat(), settings.maxMessageSize());
    this.thread = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "nameko4j-connect-" + connectionName);
      t.setDaemon(true);
      keeperThread = t;
      return t;
    });
    thread.setRemoveOnCancelPolicy(true);
  }

  private ConnectionFactory factory(BrokerUri broker, Duration connectTimeout, Duration heartbeat, int maxMessageSize) {
    ConnectionFactory f = new ConnectionFactory() {
      @Override
      protected synchronized FrameHandlerFactory createFrameHandlerFactory() throws IOException {
        return new GuardedFrames(super.createFrameHandlerFactory(), maxMessageSize);
      }
    };
    // The guard enforces the limit (a bigger body is skipped); the client's own check would close the connection.
    f.setMaxInboundMessageBodySize(Integer.MAX_VALUE);
    f.setSocketConfigurator(SocketConfigurators.defaultConfigurator().andThen(socket -> {
      if (closed) {
        throw new IOException("closed while connecting");
      }
      opening = socket;
    }));
    f.setUsername(broker.username());
    f.setPassword(broker.password());
    f.setVirtualHost(broker.virtualHost());
    if (broker.tls()) {
      try {
        f.useSslProtocol(SSLContext.getDefault());
        f.enableHostnameVerification();
      } catch (GeneralSecurityException e) {
        throw new TransportException("cannot set up TLS for " + broker + ": " + e.getMessage(), e);
      }
    }
    int millis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
    f.setConnectionTimeout(millis);
    f.setHandshakeTimeout(millis);
    f.setShutdownTimeout(millis);
    f.setChannelRpcTimeout(millis);
    f.setRequestedHeartbeat((int) Math.max(1, heartbeat.toSeconds()));
    f.setExceptionHandler(new QuietExceptionHandler());
    // We recover ourselves (see the class comment).
    f.setAutomaticRecoveryEnabled(false);
    f.setTopologyRecoveryEnabled(false);
    return f;
  }

  /**
   * Connects and opens the session, on the caller's thread.
   *
   * @throws TransportException no node could be reached or the session could not be set up
   */
  public void start() {
    try {
      connectOnce();
    } catch (IOException | TimeoutException | RuntimeException e) {
      close();
      String refused = refusal(e);
      throw new TransportException(refused != null
          ? "AMQP broker " + broker + " refused to set up " + connectionName + ": " + refused
          : "cannot connect to AMQP broker " + broker + ": " + explain(e), e);
    }
  }

  /**
   * The broker's reply text when it closed a channel while we set up (a queue declared elsewhere
   * with other arguments, a queue whose home node is down...), or null for any other failure.
   */
  static String refusal(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ShutdownSignalException && ((ShutdownSignalException) t).getReason() instanceof AMQP.Channel.Close) {
        return ((AMQP.Channel.Close) ((ShutdownSignalException) t).getReason()).getReplyText();
      }
    }
    return null;
  }

  /** The open connection, or null while reconnecting. */
  public Connection connection() {
    Connection c = connection;
    return c != null && c.isOpen() ? c : null;
  }

  public BrokerUri broker() {
    return broker;
  }

  /** How long a small write may hang before the connection is taken for dead and replaced. */
  public static final Duration STALLED_WRITE_LIMIT = Duration.ofSeconds(5);

  /**
   * Looks after a publisher on this keeper's connections: tells it when the broker blocks
   * publishing (a resource alarm), and drops a connection on which one of its small writes has
   * hung for {@link #STALLED_WRITE_LIMIT}, so that the thread writing is released at once rather
   * than after two missed heartbeats.
   */
  public void watch(Publisher publisher) {
    watched.add(publisher);
    if (watched.size() == 1) {
      long period = 250;
      thread.scheduleAtFixedRate(this::checkStalls, period, period, TimeUnit.MILLISECONDS);
    }
  }

  private void checkStalls() {
    Connection c = connection;
    if (c == null || closed) {
      return;
    }
    for (Publisher p : watched) {
      long stalled = p.stalledWriteNanos();
      if (stalled > STALLED_WRITE_LIMIT.toNanos()) {
        reconnect(c, "a write of a small message has hung for " + TimeUnit.NANOSECONDS.toMillis(stalled)
            + " ms: the connection is stalled");
        return;
      }
    }
  }

  /** Drops the current connection (if it is still {@code broken}) and sets everything up anew. */
  public void reconnect(Connection broken, String why) {
    if (closed) {
      return;
    }
    onKeeperThread(() -> {
      if (connection != broken || closed) {
        return; // already replaced
      }
      LOG.warn("{}: {}; reconnecting to {}", connectionName, why, broker);
      drop(broken, why);
      attempt();
    });
  }

  /** Runs on the keeper's thread, unless the keeper closed meanwhile. */
  private void onKeeperThread(Runnable work) {
    try {
      thread.execute(work);
    } catch (RejectedExecutionException e) {
      // closed: nothing to reconnect
    }
  }

  private void connectOnce() throws IOException, TimeoutException {
    Connection c;
    try {
      c = factory.newConnection(addresses(), connectionName);
    } finally {
      opening = null;
    }
    synchronized (lifecycle) {
      if (closed) {
        abort(c);
        throw new IOException("closed while connecting");
      }
      connection = c;
    }
    try {
      c.addShutdownListener(cause -> onShutdown(c, cause));
      c.addBlockedListener(reason -> {
        LOG.warn("{}: the broker blocks publishing ({}); messages wait for it", connectionName, reason);
        watched.forEach(p -> p.blocked(true));
      }, () -> {
        LOG.info("{}: the broker publishes again", connectionName);
        watched.forEach(p -> p.blocked(false));
      });
      watched.forEach(p -> p.blocked(false)); // a new connection starts unblocked
      session.open(c);
    } catch (IOException | RuntimeException e) {
      connection = null;
      abort(c);
      throw e;
    }
    if (!c.isOpen()) {
      throw new IOException("connection closed while it was being set up");
    }
    retryMillis = FIRST_RETRY_MILLIS;
  }

  /**
   * The nodes in the order this connection tries them: shuffled (by default), so that the clients
   * and services given one node list spread over the cluster instead of all taking the first.
   */
  private List<Address> addresses() {
    List<Address> nodes = broker.addresses();
    if (!shuffled || nodes.size() < 2) {
      return nodes;
    }
    List<Address> order = new ArrayList<>(nodes);
    Collections.shuffle(order);
    return order;
  }

  private void onShutdown(Connection c, ShutdownSignalException cause) {
    if (closed) {
      return;
    }
    onKeeperThread(() -> {
      if (connection != c || closed) {
        return;
      }
      String why = "connection lost (" + describe(cause) + ")";
      LOG.warn("{}: {}; reconnecting to {}", connectionName, why, broker);
      drop(c, why);
      attempt();
    });
  }

  private void drop(Connection c, String why) {
    connection = null;
    abort(c);
    try {
      session.lost(why);
    } catch (RuntimeException e) {
      LOG.error("{}: cleaning up after the lost connection failed", connectionName, e);
    }
  }

  private void attempt() {
    if (closed || connection != null) {
      return;
    }
    try {
      connectOnce();
      if (failedAttempts > 0) {
        LOG.info("{}: connected to {} after {} failed attempts over {} ms", connectionName, broker, failedAttempts,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failingSince));
      } else {
        LOG.info("{}: connected to {}", connectionName, broker);
      }
      failedAttempts = 0;
      lastFailure = null;
    } catch (IOException | TimeoutException | RuntimeException e) {
      if (closed) {
        return;
      }
      long delay = retryMillis;
      retryMillis = Math.min(MAX_RETRY_MILLIS, retryMillis * 2);
      reportFailedAttempt(e, delay);
      try {
        thread.schedule(this::attempt, delay, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closedMeanwhile) {
        // nothing to retry
      }
    }
  }

  /**
   * A failed reconnection at WARN, with the broker's own reason when it refused (e.g. "NOT_FOUND -
   * home node ... of durable queue ... is down"): on the first failure, whenever the reason
   * changes, and every 30 s while it lasts; other attempts at DEBUG.
   */
  private void reportFailedAttempt(Throwable e, long nextTryMillis) {
    long now = System.nanoTime();
    if (failedAttempts++ == 0) {
      failingSince = now;
    }
    String reason = refusal(e) != null ? "the broker refused to set up " + connectionName + ": " + refusal(e) : explain(e);
    if (!reason.equals(lastFailure) || now - lastWarning >= REPEAT_WARNING_NANOS) {
      LOG.warn("{}: cannot reconnect to {} ({} attempt{} over {} ms so far): {}; retrying", connectionName, broker, failedAttempts,
          failedAttempts == 1 ? "" : "s", TimeUnit.NANOSECONDS.toMillis(now - failingSince), reason);
      lastFailure = reason;
      lastWarning = now;
    } else {
      LOG.debug("{}: reconnect failed ({}); next try in {} ms", connectionName, reason, nextTryMillis);
    }
  }

  private static void abort(Connection c) {
    try {
      c.abort(1000);
    } catch (RuntimeException e) {
      // already closed
    }
  }

  static String describe(Throwable e) {
    String message = e.getMessage();
    if (e instanceof ShutdownSignalException && ((ShutdownSignalException) e).getReason() != null) {
      message = ((ShutdownSignalException) e).getReason().toString();
    }
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /**
   * Why connecting failed, in words a user can act on: the broker's own reason (a refused login,
   * an unknown virtual host), or what the network said, found anywhere in the cause chain.
   */
  public static String explain(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof PossibleAuthenticationFailureException) {
        return "the broker refused the login (wrong user or password?)";
      }
      if (t instanceof ShutdownSignalException) {
        Object reason = ((ShutdownSignalException) t).getReason();
        if (reason instanceof AMQP.Connection.Close) {
          return "the broker refused the connection: " + ((AMQP.Connection.Close) reason).getReplyText();
        }
        if (reason instanceof AMQP.Channel.Close) {
          // e.g. a queue another peer declared with other flags: PRECONDITION_FAILED - inequivalent arg ...
          return "the broker refused to set up: " + ((AMQP.Channel.Close) reason).getReplyText();
        }
      }
      if (t instanceof ConnectException) {
        return "connection refused (is the broker running on that host and port?)";
      }
      if (t instanceof UnknownHostException) {
        return "unknown host " + t.getMessage();
      }
      if (t instanceof SocketTimeoutException || t instanceof TimeoutException) {
        return "no answer within the connect timeout";
      }
      if (t instanceof MalformedFrameException) {
        return "what answered does not speak AMQP 0-9-1 (an HTTP port? a TLS port with amqp://?)";
      }
      if (t instanceof SSLException) {
        return "TLS failed: " + t.getMessage();
      }
    }
    return describe(failure);
  }

  /**
   * Closes the connection (waiting up to {@code timeout}) and stops reconnecting, a reconnection in
   * progress included: once this returns, no connection of this keeper is open or opening.
   * Idempotent.
   */
  public void close(Duration timeout) {
    Connection c;
    synchronized (lifecycle) {
      closed = true;
      c = connection;
      connection = null;
    }
    Socket s = opening;
    if (s != null) {
      try {
        s.close(); // a handshake in progress fails at once instead of finishing after close()
      } catch (IOException e) {
        // already closed
      }
    }
    thread.shutdownNow();
    if (c != null) {
      try {
        if (c.isOpen()) {
          c.close((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        }
      } catch (IOException | RuntimeException e) {
        LOG.debug("{}: closing connection: {}", connectionName, e.toString());
        abort(c);
      }
    }
    if (Thread.currentThread() != keeperThread) {
      try {
        if (!thread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.warn("{}: the reconnecting thread did not stop within {} ms", connectionName, timeout.toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
