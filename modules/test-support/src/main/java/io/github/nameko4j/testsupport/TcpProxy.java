package io.github.nameko4j.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP proxy for network faults a real component cannot show on one machine: a
 * connection cut on one side only (as a NAT or load balancer dropping it, while the other end
 * still believes it is open), or a connection that goes silent (a blackhole). Listens on a free
 * port of 127.0.0.1 and forwards to {@code target}. Thread-safe.
 */
public final class TcpProxy implements AutoCloseable {
  private final InetSocketAddress target;
  private final ServerSocket server;
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private volatile boolean refusing;
  private volatile boolean holding;
  private volatile int held;
  private volatile boolean pausedToTarget;
  private volatile long delayToClientNanos;
  private volatile boolean closed;

  /** One proxied connection: the client's socket and ours to the target. */
  private static final class Link {
    final Socket client;
    final Socket upstream;
    volatile boolean blackholed;
    volatile boolean clientCut;

    Link(Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
    }
  }

  private TcpProxy(InetSocketAddress target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "tcp-proxy-accept-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** A proxy to {@code host:port} (a loopback address). */
  public static TcpProxy to(String host, int port) {
    try {
      return new TcpProxy(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new IllegalStateException("cannot start a TCP proxy: " + e.getMessage(), e);
    }
  }

  /** The port clients connect to. */
  public int port() {
    return server.getLocalPort();
  }

  /** Connections open through the proxy (not cut, not closed). */
  public int openConnections() {
    int n = 0;
    for (Link l : links) {
      if (!l.clientCut && !l.client.isClosed()) {
        n++;
      }
    }
    return n;
  }

  /**
   * Cuts every open connection on the client's side only: the client sees its socket closed at
   * once, while the target keeps its end open and hears nothing more (as after a NAT drops the
   * connection); what the target sends is read and dropped. New connections are forwarded.
   */
  public void cutClientSide() {
    for (Link l : links) {
      l.clientCut = true;
      closeQuietly(l.client);
    }
  }

  /** Every open connection goes silent both ways without closing; new connections are forwarded. */
  public void blackholeOpenConnections() {
    for (Link l : links) {
      l.blackholed = true;
    }
  }

  /** While true, new connections are accepted and closed at once (a node that is down). */
  public void refuseNewConnections(boolean refuse) {
    this.refusing = refuse;
  }

  /**
   * While true, new connections are accepted but nothing is forwarded until released (a handshake
   * that hangs, as with a node that is overloaded or half up); {@link #heldConnections()} counts
   * them. Releasing forwards them as usual.
   */
  public void holdNewConnections(boolean hold) {
    this.holding = hold;
  }

  /** Connections accepted and waiting while {@link #holdNewConnections} holds them. */
  public int heldConnections() {
    return held;
  }

  /**
   * While true, nothing the clients send is read: their socket buffers fill and their writes block
   * (TCP pushing back, as with a slow or stalled peer); what the target sends still flows.
   */
  public void pauseClientToTarget(boolean pause) {
    this.pausedToTarget = pause;
  }

  /**
   * Holds what the target sends for {@code delay} before passing it on (a slow server, or a slow
   * network): replies arrive late, but they arrive. {@link Duration#ZERO} turns it off.
   */
  public void delayToClient(Duration delay) {
    this.delayToClientNanos = delay.toNanos();
  }

  /** Closes every connection on both sides (as a node dying). */
  public void closeAll() {
    for (Link l : links) {
      closeQuietly(l.client);
      closeQuietly(l.upstream);
    }
    links.clear();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      if (refusing) {
        closeQuietly(client);
        continue;
      }
      if (holding) {
        held++;
        while (holding && !closed && !client.isClosed()) {
          pause();
        }
        held--;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(target, 5000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      Link link = new Link(client, upstream);
      links.add(link);
      pump(link, true);
      pump(link, false);
    }
  }

  private void pump(Link link, boolean toUpstream) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try {
        InputStream in = toUpstream ? link.client.getInputStream() : link.upstream.getInputStream();
        OutputStream out = toUpstream ? link.upstream.getOutputStream() : link.client.getOutputStream();
        int n;
        while (true) {
          while (toUpstream && pausedToTarget && !closed) {
            pause();
          }
          if ((n = in.read(buffer)) < 0) {
            break;
          }
          if (link.blackholed || link.clientCut) {
            continue; // read and drop, so the sender never blocks and never learns
          }
          long delay = delayToClientNanos;
          if (!toUpstream && delay > 0) {
            try {
              Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // one side closed
      }
      if (!link.clientCut) {
        closeQuietly(link.client);
        closeQuietly(link.upstream);
      } else if (toUpstream) {
        return; // the client side is gone; the target's side stays open, silent
      }
    }, "tcp-proxy-" + (toUpstream ? "up" : "down") + "-" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  private static void pause() {
    try {
      Thread.sleep(2);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // already closed
    }
    closeAll();
  }
}
