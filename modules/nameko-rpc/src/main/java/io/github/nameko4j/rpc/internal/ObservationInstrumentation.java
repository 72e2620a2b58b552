package io.github.nameko4j.rpc.internal;

import io.github.nameko4j.rpc.observation.DefaultNamekoReceiveConvention;
import io.github.nameko4j.rpc.observation.DefaultNamekoSendConvention;
import io.github.nameko4j.rpc.observation.NamekoObservation;
import io.github.nameko4j.rpc.observation.NamekoReceiveContext;
import io.github.nameko4j.rpc.observation.NamekoReceiveConvention;
import io.github.nameko4j.rpc.observation.NamekoSendContext;
import io.github.nameko4j.rpc.observation.NamekoSendConvention;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@link Instrumentation} with Micrometer's Observation API: what tracing (OpenTelemetry, Brave)
 * and timing handlers registered on the registry turn into spans and timers. Loaded only when a
 * registry is configured.
 */
public final class ObservationInstrumentation implements Instrumentation {
  private final ObservationRegistry registry;
  private final NamekoSendConvention sendConvention; // null: the default
  private final NamekoReceiveConvention receiveConvention; // null: the default

  private ObservationInstrumentation(ObservationRegistry registry, NamekoSendConvention send, NamekoReceiveConvention receive) {
    this.registry = registry;
    this.sendConvention = send;
    this.receiveConvention = receive;
  }

  /**
   * The instrumentation for a registry given to a builder as an Object (so that builders load
   * without Micrometer), or {@link #NONE} for null.
   */
  public static Instrumentation of(Object registry, Object sendConvention, Object receiveConvention) {
    if (registry == null) {
      return NONE;
    }
    return new ObservationInstrumentation((ObservationRegistry) registry, (NamekoSendConvention) sendConvention,
        (NamekoReceiveConvention) receiveConvention);
  }

  @Override
  public Observed rpcCall(Map<String, Object> headers, String service, String method, String correlationId) {
    // Contexts are built in the supplier: Micrometer calls it only when a handler will observe.
    return started(Observation.createNotStarted(sendConvention, DefaultNamekoSendConvention.RPC_CLIENT,
        () -> new NamekoSendContext(NamekoObservation.RPC_CLIENT, headers, ClientCore.EXCHANGE, service + "." + method, service,
            method, correlationId), registry));
  }

  @Override
  public Observed rpcRequest(Map<String, Object> headers, String service, String method, String correlationId) {
    return started(Observation.createNotStarted(receiveConvention, DefaultNamekoReceiveConvention.RPC_SERVER,
        () -> new NamekoReceiveContext(NamekoObservation.RPC_SERVER, headers, ClientCore.EXCHANGE, service + "." + method, service,
            method, correlationId), registry));
  }

  @Override
  public Observed eventDispatch(Map<String, Object> headers, String source, String eventType) {
    return started(Observation.createNotStarted(sendConvention, DefaultNamekoSendConvention.EVENT_DISPATCH,
        () -> new NamekoSendContext(NamekoObservation.EVENT_DISPATCH, headers, source + ".events", eventType, source, eventType,
            null), registry));
  }

  @Override
  public Observed eventHandling(Map<String, Object> headers, String source, String eventType, String service, String method) {
    return started(Observation.createNotStarted(receiveConvention, DefaultNamekoReceiveConvention.EVENT_HANDLER,
        () -> new NamekoReceiveContext(NamekoObservation.EVENT_HANDLER, headers, source + ".events", eventType, service, method,
            null), registry));
  }

  private static Observed started(Observation observation) {
    if (observation.isNoop()) {
      return Observed.NONE; // no handler: nothing to start or stop, no header written
    }
    observation.start();
    AtomicBoolean stopped = new AtomicBoolean();
    return new Observed() {
      @Override
      public Scope openScope() {
        Observation.Scope scope = observation.openScope();
        return scope::close;
      }

      @Override
      public void stop(Throwable error) {
        if (stopped.compareAndSet(false, true)) {
          if (error != null) {
            observation.error(error);
          }
          observation.stop();
        }
      }
    };
  }
}
