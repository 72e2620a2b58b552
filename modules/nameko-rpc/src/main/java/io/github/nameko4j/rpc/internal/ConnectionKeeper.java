package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.MalformedFrameException;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import com.rabbitmq.client.ShutdownSignalException;
import io.github.nameko4j.rpc.TransportException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * the keeper is open. Thread-safe.
 */
public final class ConnectionKeeper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionKeeper.class);
  private static final long FIRST_RETRY_MILLIS = 100;
  private static final long MAX_RETRY_MILLIS = 5_000;

  /** What the owner does with each connection. Both methods run on the keeper's thread. */
  public interface Session {
    /** Sets up channels and consumers on a new connection; throwing drops it and tries again. */
    void open(Connection connection) throws IOException;

    /** The connection in use is gone (it broke or {@link #reconnect} was called); not called on close. */
    void lost(String why);
  }

  private final BrokerUri broker;
  private final ConnectionFactory factory;
  private final String connectionName;
  private final Session session;
  private final ScheduledThreadPoolExecutor thread;
  private final List<Publisher> watched = new CopyOnWriteArrayList<>();
  private volatile Connection connection;
  private volatile boolean closed;
  private long retryMillis = FIRST_RETRY_MILLIS; // keeper thread only

  public ConnectionKeeper(BrokerUri broker, Duration connectTimeout, Duration heartbeat, String connectionName, Session session) {
    this.broker = broker;
    this.connectionName = connectionName;
    this.session = session;
    this.factory = factory(broker, connectTimeout, heartbeat);
    this.thread = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "nameko4j-connect-" + connectionName);
      t.setDaemon(true);
      return t;
    });
    thread.setRemoveOnCancelPolicy(true);
  }

  private static ConnectionFactory factory(BrokerUri broker, Duration connectTimeout, Duration heartbeat) {
    ConnectionFactory f = new ConnectionFactory();
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
      throw new TransportException("cannot connect to AMQP broker " + broker + ": " + explain(e), e);
    }
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
    thread.execute(() -> {
      if (connection != broken || closed) {
        return; // already replaced
      }
      LOG.warn("{}: {}; reconnecting to {}", connectionName, why, broker);
      drop(broken, why);
      attempt();
    });
  }

  private void connectOnce() throws IOException, TimeoutException {
    Connection c = factory.newConnection(broker.addresses(), connectionName);
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
      connection = c;
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

  private void onShutdown(Connection c, ShutdownSignalException cause) {
    if (closed) {
      return;
    }
    thread.execute(() -> {
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
      LOG.info("{}: connected to {}", connectionName, broker);
    } catch (IOException | TimeoutException | RuntimeException e) {
      long delay = retryMillis;
      retryMillis = Math.min(MAX_RETRY_MILLIS, retryMillis * 2);
      LOG.debug("{}: reconnect failed ({}); next try in {} ms", connectionName, describe(e), delay);
      if (!closed) {
        thread.schedule(this::attempt, delay, TimeUnit.MILLISECONDS);
      }
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

  /** Closes the connection (waiting up to {@code timeout}) and stops reconnecting. Idempotent. */
  public void close(Duration timeout) {
    closed = true;
    thread.shutdownNow();
    Connection c = connection;
    connection = null;
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
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
