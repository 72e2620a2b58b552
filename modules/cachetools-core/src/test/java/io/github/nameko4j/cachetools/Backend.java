package io.github.nameko4j.cachetools;

import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.testsupport.Queues;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A nameko service for the proxy tests: counts its calls, and can be made slow or failing. */
public class Backend implements AutoCloseable {
  /** Raised while failing; callers see exc_type BackendDown. */
  public static class BackendDown extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackendDown(String message) {
      super(message);
    }
  }

  public final String name = "backend_" + UUID.randomUUID().toString().substring(0, 8);
  public final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  public volatile boolean failing;
  public volatile long delayMillis;
  private final NamekoRpcServer server;
  private final String amqpUri;

  public Backend(String amqpUri) {
    this.amqpUri = amqpUri;
    this.server = NamekoRpcServer.builder().uri(amqpUri).service(name, new Methods()).maxWorkers(32).start();
  }

  public int calls(String method) {
    return calls.computeIfAbsent(method, m -> new AtomicInteger()).get();
  }

  /** The rpc methods; separate so the fixture's own methods are not exposed. */
  public class Methods {
    private int enter(String method) {
      int n = calls.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
      boolean fail = failing; // the service's state when the request arrives
      long delay = delayMillis;
      if (delay > 0) {
        try {
          Thread.sleep(delay);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (fail) {
        throw new BackendDown("backend down");
      }
      return n;
    }

    @Rpc
    public Object echo(Object x) {
      enter("echo");
      return x;
    }

    /** [x, how many times stamp was called]: tells a fresh reply from a cached one. */
    @Rpc
    public Object stamp(Object x) {
      return List.of(x, enter("stamp"));
    }

    @Rpc
    public Object other(Object x) {
      enter("other");
      return "other:" + x;
    }
  }

  public static NamekoRpcClient client(String amqpUri) {
    return NamekoRpcClient.builder().uri(amqpUri).callTimeout(Duration.ofSeconds(10)).build();
  }

  @Override
  public void close() {
    server.close();
    Queues.deleteServiceQueues(amqpUri, name);
  }
}
