package io.github.nameko4j.cli;

import io.github.nameko4j.events.Event;
import io.github.nameko4j.events.EventDispatcher;
import io.github.nameko4j.events.EventSubscriber;
import io.github.nameko4j.events.HandlerType;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.TransportException;
import io.github.nameko4j.rpc.internal.Json;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code dispatch} and {@code listen}: events of a live system, for debugging. */
final class EventCommands {
  /** The listener's service name: part of its (private, per-run) queue names. */
  static final String LISTENER = "nameko_cli";

  private EventCommands() {}

  /** Dispatches one event as the standalone dispatcher of nameko does (no context). */
  static int dispatch(String amqp, String source, String eventType, Object payload, PrintStream err) {
    try (EventDispatcher events = EventDispatcher.builder().uri(amqp).source(source).connectTimeout(Duration.ofSeconds(5)).build()) {
      events.dispatch(eventType, payload);
      err.println("dispatched " + source + "." + eventType);
      return Main.OK;
    } catch (CodecException e) {
      err.println("error: " + e.getMessage());
      return Main.USAGE;
    } catch (TransportException e) {
      err.println("Transport: " + e.getMessage());
      return Main.TRANSPORT;
    }
  }

  /**
   * Prints every event of {@code source} matching {@code eventTypes} as one JSON line, until
   * {@code count} events (0: until stopped). Each listener hears on a queue of its own (an
   * unreliable BROADCAST handler), so it takes no event away from the services.
   */
  static int listen(String amqp, String source, List<String> eventTypes, int count, Duration timeout, PrintStream out,
      PrintStream err) {
    AtomicInteger printed = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(1);
    EventSubscriber.Builder builder = EventSubscriber.builder().uri(amqp).service(LISTENER).maxWorkers(1) // one at a time: in order
        .connectTimeout(Duration.ofSeconds(5));
    for (String type : eventTypes) {
      builder.on(source, type, HandlerType.BROADCAST, false, false, "listen", event -> {
        synchronized (out) {
          if (count > 0 && printed.get() >= count) {
            return;
          }
          Main.printUtf8(out, line(event));
          if (printed.incrementAndGet() == count) {
            done.countDown();
          }
        }
      });
    }
    EventSubscriber subscriber;
    try {
      subscriber = builder.start();
    } catch (TransportException e) {
      err.println("Transport: " + e.getMessage());
      return Main.TRANSPORT;
    }
    Thread stop = new Thread(() -> {
      subscriber.stop(Duration.ofSeconds(2));
      done.countDown();
    }, "nameko-cli-shutdown");
    Runtime.getRuntime().addShutdownHook(stop);
    err.println("listening to " + source + " " + eventTypes + " on " + subscriber.queues() + "; stop with Ctrl-C");
    try {
      boolean finished = timeout == null ? awaitForever(done) : done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (!finished) {
        err.println("RpcTimeout: " + printed.get() + " of " + count + " events within " + timeout.toMillis() / 1000.0 + " s");
        return Main.TIMEOUT;
      }
      return Main.OK;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Main.OK;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(stop);
        subscriber.stop(Duration.ofSeconds(2));
      } catch (IllegalStateException shuttingDown) {
        // the hook is running and stops it
      }
    }
  }

  private static boolean awaitForever(CountDownLatch done) throws InterruptedException {
    done.await();
    return true;
  }

  /** {"source":..,"type":..,"payload":..,"context":{..},"call_id_stack":[..],"redelivered":..} */
  static byte[] line(Event event) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("source", event.source());
    line.put("type", event.type());
    line.put("payload", event.payload());
    line.put("context", event.context().data());
    List<String> stack = event.context().callIdStack();
    line.put("call_id_stack", stack.subList(0, stack.size() - 1)); // as dispatched: without the listener's own id
    line.put("redelivered", event.redelivered());
    return Json.encodeReadable(line);
  }
}
