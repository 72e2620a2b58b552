package io.github.nameko4j.rpc;

import io.github.nameko4j.testsupport.TcpProxy;
import java.lang.reflect.Method;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Run in a JVM of Java 21+ by {@link VirtualThreadCallersIT} (this build targets Java 17, so
 * virtual threads are reached by reflection): virtual-thread callers whose requests are being
 * written while TCP pushes back are interrupted, and the calls other callers had in flight must
 * not fail for it. Prints one {@code RESULT} line per bystander call.
 */
public final class VirtualThreadInterruptScenario {
  private static final int BYSTANDERS = 5;
  private static final int REQUESTS = 200;

  private VirtualThreadInterruptScenario() {}

  /** Echo, plus a call that says when it started and then takes 4 s. */
  public static final class Service extends EchoService {
    final CountDownLatch started = new CountDownLatch(BYSTANDERS);

    @Rpc
    public int hold(int i) throws InterruptedException {
      started.countDown();
      Thread.sleep(4000);
      return i;
    }
  }

  public static void main(String[] args) throws Exception {
    URI broker = URI.create(args[0]);
    String service = "vthreads_" + UUID.randomUUID().toString().substring(0, 8);
    Method ofVirtual = Thread.class.getMethod("ofVirtual");
    Method start = Class.forName("java.lang.Thread$Builder").getMethod("start", Runnable.class);
    Service handler = new Service();
    try (TcpProxy proxy = TcpProxy.to(broker.getHost(), broker.getPort());
        NamekoRpcServer server = NamekoRpcServer.builder().uri(args[0]).service(service, handler).maxWorkers(BYSTANDERS).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri("amqp://guest:guest@127.0.0.1:" + proxy.port())
            .callTimeout(Duration.ofSeconds(60)).build();
        RawAmqp raw = new RawAmqp(args[0])) {
      raw.deleteLater("rpc-" + service);
      // Calls of other callers, in flight on the service while the writers are interrupted.
      List<CompletableFuture<Object>> bystanders = new ArrayList<>();
      for (int i = 0; i < BYSTANDERS; i++) {
        bystanders.add(client.callAsync(service, "hold", List.of(i), Map.of()));
      }
      if (!handler.started.await(20, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the bystander calls never reached the service");
      }

      // TCP pushes back: nothing the client writes is read any more, so its writes block.
      proxy.pauseClientToTarget(true);
      // A virtual-thread caller sends request after request (12 MB in all, more than the socket
      // buffers hold) without waiting: one of its writes blocks.
      String payload = "x".repeat(60_000);
      Thread writer = (Thread) start.invoke(ofVirtual.invoke(null), (Runnable) () -> {
        for (int i = 0; i < REQUESTS && !Thread.currentThread().isInterrupted(); i++) {
          client.callAsync(service, "echo", List.of(payload), Map.of());
        }
      });
      Thread.sleep(1000);
      writer.interrupt(); // e.g. a framework cancelling a request that took too long
      Thread.sleep(500);
      proxy.pauseClientToTarget(false);

      for (CompletableFuture<Object> b : bystanders) {
        try {
          System.out.println("RESULT bystander ok " + b.get(60, TimeUnit.SECONDS));
        } catch (Exception e) {
          Throwable cause = e.getCause() == null ? e : e.getCause();
          System.out.println("RESULT bystander failed " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
        }
      }
      System.out.println("RESULT client connected " + client.isConnected());
    }
    System.exit(0);
  }
}
