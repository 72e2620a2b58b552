package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes messages with publisher confirms from one thread of its own. {@link #submit} never
 * blocks and takes no lock held during I/O, so callers on event-loop threads, virtual threads or a
 * store's I/O threads never wait for the socket; a stalled socket stalls only this thread.
 *
 * <p>The channel is opened on first use on the current connection and opened again after the
 * broker closes it (a channel error, such as a message over the broker's size limit, closes only
 * the channel); messages waiting for a confirm on a closed channel are failed with the reason.
 * Every message leaves the books on exactly one path: confirmed, refused, failed or skipped.
 */
public final class Publisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
  private static final int BATCH = 256;

  /** One message to publish and what to do with its outcome. Callbacks must be quick. */
  public interface Outgoing {
    /** True when nobody waits for this message any more: it is dropped unpublished. */
    boolean abandoned();

    String routingKey();

    boolean mandatory();

    /** Built at publish time, so it may depend on the state of the moment (reply queue, deadline). */
    AMQP.BasicProperties properties();

    byte[] body();

    /** The broker has it (confirm). */
    void confirmed();

    /** The broker refused it (nack). */
    void refused();

    /** It could not be published, or its channel closed before the confirm came. */
    void failed(String why, Throwable cause);
  }

  /** Hears basic.return of mandatory messages. */
  public interface Returns {
    void returned(String routingKey, AMQP.BasicProperties properties);
  }

  private final String exchange;
  private final String name;
  private final Supplier<Connection> connection;
  private final Returns returns;
  private final BlockingQueue<Outgoing> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private final AtomicInteger outstanding = new AtomicInteger();
  private volatile boolean closed;
  private volatile Tracked current; // written by the publisher thread only

  /** A channel and what it has published but not yet had confirmed. */
  private static final class Tracked {
    final Channel channel;
    final ConcurrentNavigableMap<Long, Outgoing> unconfirmed = new ConcurrentSkipListMap<>();

    Tracked(Channel channel) {
      this.channel = channel;
    }

    List<Outgoing> take(long seq, boolean multiple) {
      if (!multiple) {
        Outgoing o = unconfirmed.remove(seq);
        return o == null ? List.of() : List.of(o);
      }
      ConcurrentNavigableMap<Long, Outgoing> head = unconfirmed.headMap(seq, true);
      List<Outgoing> taken = new ArrayList<>(head.values());
      head.clear();
      return taken;
    }
  }

  public Publisher(String exchange, String name, Supplier<Connection> connection, Returns returns) {
    this.exchange = exchange;
    this.name = name;
    this.connection = connection;
    this.returns = returns;
    this.thread = new Thread(this::run, "nameko4j-publish-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues a message; never blocks. After {@link #close()} the message fails at once. */
  public void submit(Outgoing o) {
    if (closed) {
      o.failed("publisher closed", null);
      return;
    }
    outstanding.incrementAndGet();
    queue.add(o);
    if (closed && queue.remove(o)) {
      fail(o, "publisher closed", null);
    }
  }

  /** Messages queued or waiting for their confirm. */
  public int outstanding() {
    return outstanding.get();
  }

  /** Messages published on the current channel and waiting for their confirm. */
  public int unconfirmed() {
    Tracked t = current;
    return t == null ? 0 : t.unconfirmed.size();
  }

  private void run() {
    List<Outgoing> batch = new ArrayList<>(BATCH);
    while (!closed) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        break;
      }
      queue.drainTo(batch, BATCH - 1);
      for (Outgoing o : batch) {
        publish(o);
      }
      batch.clear();
    }
    List<Outgoing> left = new ArrayList<>();
    queue.drainTo(left);
    for (Outgoing o : left) {
      fail(o, "publisher closed", null);
    }
  }

  private void fail(Outgoing o, String why, Throwable cause) {
    outstanding.decrementAndGet();
    o.failed(why, cause);
  }

  private void publish(Outgoing o) {
    if (o.abandoned()) {
      outstanding.decrementAndGet();
      return;
    }
    Tracked t;
    try {
      t = channel();
    } catch (IOException | RuntimeException e) {
      fail(o, "no channel to publish on (" + ConnectionKeeper.describe(e) + ")", e);
      return;
    }
    if (t == null) {
      fail(o, "not connected to the broker (reconnecting)", null);
      return;
    }
    long seq = t.channel.getNextPublishSeqNo();
    t.unconfirmed.put(seq, o);
    try {
      t.channel.basicPublish(exchange, o.routingKey(), o.mandatory(), o.properties(), o.body());
    } catch (IOException | RuntimeException e) { // also a header value the client cannot encode
      if (t.unconfirmed.remove(seq) != null) {
        fail(o, "publish failed (" + ConnectionKeeper.describe(e) + ")", e);
      }
    }
  }

  /** The open channel, opened now if need be; null when there is no connection. */
  private Tracked channel() throws IOException {
    Tracked t = current;
    if (t != null && t.channel.isOpen()) {
      return t;
    }
    Connection c = connection.get();
    if (c == null) {
      return null;
    }
    Channel ch = c.createChannel();
    if (ch == null) {
      throw new IOException("no channel available");
    }
    Tracked fresh = new Tracked(ch);
    ch.confirmSelect();
    ch.addConfirmListener(new ConfirmListener() {
      @Override
      public void handleAck(long seq, boolean multiple) {
        for (Outgoing o : fresh.take(seq, multiple)) {
          outstanding.decrementAndGet();
          o.confirmed();
        }
      }

      @Override
      public void handleNack(long seq, boolean multiple) {
        for (Outgoing o : fresh.take(seq, multiple)) {
          outstanding.decrementAndGet();
          o.refused();
        }
      }
    });
    ch.addReturnListener(r -> returns.returned(r.getRoutingKey(), r.getProperties()));
    ch.addShutdownListener(cause -> onChannelClosed(fresh, cause));
    current = fresh;
    return fresh;
  }

  /** Fails what waited for a confirm on a closed channel; the next publish opens a new one. */
  private void onChannelClosed(Tracked t, ShutdownSignalException cause) {
    if (t.unconfirmed.isEmpty()) {
      return;
    }
    String why = cause.isHardError()
        ? "connection lost while the call was in flight (" + ConnectionKeeper.describe(cause) + ")"
        : "channel closed before the broker confirmed the message ("
            + (cause.isInitiatedByApplication() ? "closed by us" : ConnectionKeeper.describe(cause)) + ")";
    if (!cause.isHardError() && !cause.isInitiatedByApplication()) {
      LOG.warn("{}: broker closed the publishing channel: {}", name, ConnectionKeeper.describe(cause));
    }
    for (Outgoing o : t.take(Long.MAX_VALUE, true)) {
      fail(o, why, cause);
    }
  }

  /**
   * Waits until every queued message is published and confirmed (or failed), at most {@code
   * millis}; for graceful shutdown. Returns true if nothing is left.
   */
  public boolean awaitIdle(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (outstanding.get() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /** Stops the thread; queued messages fail. Does not close the connection. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    List<Outgoing> left = new ArrayList<>();
    queue.drainTo(left);
    for (Outgoing o : left) {
      fail(o, "publisher closed", null);
    }
  }
}
