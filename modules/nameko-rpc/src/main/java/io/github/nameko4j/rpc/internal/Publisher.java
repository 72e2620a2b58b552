package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes messages with publisher confirms. A small message submitted while the connection
 * demonstrably flows (nothing queued, no confirm overdue, the broker not blocking us) is written
 * by the submitting thread itself, as a plain client would: no hand-off to pay. Anything else
 * goes to the publisher's own thread, so a stalled socket stalls only that thread: {@link
 * #submit} never waits for a lock, and an inline write that hangs anyway (a connection that died
 * between two checks) is cut short by {@link #stalledWriteNanos()}'s watchdog in the connection
 * keeper, which drops the connection.
 *
 * <p>One thread's messages reach the broker in the order it submitted them, whatever their sizes:
 * a message is written inline only while nothing handed to the publisher's thread is still
 * unpublished. A virtual thread never writes inline: the JDK closes a socket whose write a
 * virtual thread is interrupted in, which would fail every other caller's call in flight.
 *
 * <p>The channel is opened on first use on the current connection and opened again after the
 * broker closes it (a channel error, such as a message over the broker's size limit, closes only
 * the channel); messages waiting for a confirm on a closed channel are failed with the reason.
 * Every message leaves the books on exactly one path: confirmed, refused, failed or skipped.
 */
public final class Publisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
  private static final int BATCH = 256;
  /** Largest body written by the submitting thread; a bigger one may take long, even on a good link. */
  static final int INLINE_MAX_BYTES = 64 * 1024;
  /** A connection flows while its oldest unconfirmed message is younger than this. */
  private static final long FLOWING_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

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
  private final BlockingQueue<Outgoing> queue;
  private final Thread thread;
  private final AtomicInteger outstanding = new AtomicInteger();
  // Handed to the publisher's thread and not yet published (queued, or taken and waiting for the
  // lock): an inline write must wait behind them, or it would overtake its own thread's earlier
  // message. Decremented under the lock, once published.
  private final AtomicInteger handedOff = new AtomicInteger();
  // Held while publishing: one writer at a time keeps sequence numbers and the books in step.
  private final ReentrantLock lock = new ReentrantLock();
  private volatile boolean closed;
  private volatile Tracked current; // written under the lock
  private volatile boolean blocked; // the broker said connection.blocked (a resource alarm)
  private volatile long inlineWriteSince; // nanoTime when an inline write started; 0 when none

  /** A message published and waiting for its confirm, and when it was published. */
  private record Sent(Outgoing outgoing, long at) {}

  /** A channel and what it has published but not yet had confirmed. */
  private static final class Tracked {
    final Channel channel;
    final ConcurrentNavigableMap<Long, Sent> unconfirmed = new ConcurrentSkipListMap<>();
    volatile boolean refused;

    Tracked(Channel channel) {
      this.channel = channel;
    }

    List<Outgoing> take(long seq, boolean multiple) {
      if (!multiple) {
        Sent o = unconfirmed.remove(seq);
        return o == null ? List.of() : List.of(o.outgoing());
      }
      ConcurrentNavigableMap<Long, Sent> head = unconfirmed.headMap(seq, true);
      List<Outgoing> taken = new ArrayList<>(head.size());
      head.values().forEach(sent -> taken.add(sent.outgoing()));
      head.clear();
      return taken;
    }

    /** True while confirms keep up: nothing waits for one longer than {@link #FLOWING_NANOS}. */
    boolean flowing(long now) {
      Map.Entry<Long, Sent> oldest = unconfirmed.firstEntry();
      return oldest == null || now - oldest.getValue().at() < FLOWING_NANOS;
    }
  }

  public Publisher(String exchange, String name, Supplier<Connection> connection, Returns returns) {
    this(exchange, name, connection, returns, new LinkedBlockingQueue<>());
  }

  /** With the queue handed to the publisher's thread given: tests slow it down to widen races. */
  Publisher(String exchange, String name, Supplier<Connection> connection, Returns returns, BlockingQueue<Outgoing> queue) {
    this.queue = queue;
    this.exchange = exchange;
    this.name = name;
    this.connection = connection;
    this.returns = returns;
    this.thread = new Thread(this::run, "nameko4j-publish-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Publishes a message: on this thread when that cannot wait (see the class comment), else
   * through the publisher's thread. Never waits for a lock. After {@link #close()} the message
   * fails at once.
   */
  public void submit(Outgoing o) {
    if (closed) {
      o.failed("publisher closed", null);
      return;
    }
    outstanding.incrementAndGet();
    if (inlineNow(o) && lock.tryLock()) {
      try {
        if (handedOff.get() == 0) { // nothing submitted before it is still unpublished: order kept
          inlineWriteSince = System.nanoTime();
          try {
            publish(o);
          } finally {
            inlineWriteSince = 0;
          }
          return;
        }
      } finally {
        lock.unlock();
      }
    }
    handedOff.incrementAndGet();
    queue.add(o);
    if (closed && queue.remove(o)) {
      handedOff.decrementAndGet();
      fail(o, "publisher closed", null);
    }
  }

  /** Whether writing {@code o} on the caller's thread can be expected to return at once. */
  private boolean inlineNow(Outgoing o) {
    Tracked t = current;
    return !blocked && handedOff.get() == 0 && o.body().length <= INLINE_MAX_BYTES && t != null && t.channel.isOpen()
        && t.flowing(System.nanoTime()) && !VirtualThreads.isVirtual(Thread.currentThread());
  }

  /**
   * How long the inline write under way has taken, 0 when none: a connection keeper drops a
   * connection whose small write hangs (see {@link ConnectionKeeper#watch}).
   */
  public long stalledWriteNanos() {
    long since = inlineWriteSince;
    return since == 0 || blocked ? 0 : System.nanoTime() - since;
  }

  /** The broker blocks (or unblocks) our publishes for a resource alarm: no inline writes meanwhile. */
  public void blocked(boolean blocked) {
    this.blocked = blocked;
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
      lock.lock();
      try {
        for (Outgoing o : batch) {
          try {
            publish(o);
          } finally {
            handedOff.decrementAndGet();
          }
        }
      } finally {
        lock.unlock();
      }
      batch.clear();
    }
    failQueued();
  }

  private void failQueued() {
    List<Outgoing> left = new ArrayList<>();
    queue.drainTo(left);
    for (Outgoing o : left) {
      handedOff.decrementAndGet();
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
    t.unconfirmed.put(seq, new Sent(o, System.nanoTime()));
    try {
      t.channel.basicPublish(exchange, o.routingKey(), o.mandatory(), o.properties(), o.body());
    } catch (IOException | RuntimeException e) { // also a header value the client cannot encode
      if (t.unconfirmed.remove(seq) != null) {
        fail(o, "publish failed (" + ConnectionKeeper.describe(e) + ")", e);
      }
    }
  }

  /** The open channel, opened now if need be; null when there is no connection. Under the lock. */
  private Tracked channel() throws IOException {
    Tracked t = current;
    if (t != null && t.channel.isOpen() && !t.refused) {
      return t;
    }
    if (t != null && t.refused) {
      LOG.info("{}: the broker refused a message on this channel; publishing on a new one", name);
      closeQuietly(t.channel); // what still waits for a confirm there fails, as on any closed channel
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
        // A channel whose publishes the broker refuses is replaced before the next publish: a
        // quorum queue whose leader moved to another node kept refusing, for as long as it lived,
        // a channel opened while the old leader's node was down (RabbitMQ 3.10).
        fresh.refused = true;
      }
    });
    ch.addReturnListener(r -> returns.returned(r.getRoutingKey(), r.getProperties()));
    ch.addShutdownListener(cause -> onChannelClosed(fresh, cause));
    current = fresh;
    return fresh;
  }

  private static void closeQuietly(Channel channel) {
    try {
      channel.close();
    } catch (IOException | TimeoutException | RuntimeException e) {
      // closing a channel we no longer use
    }
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
    failQueued();
  }
}
