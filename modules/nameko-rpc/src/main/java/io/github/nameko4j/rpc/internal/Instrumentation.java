package io.github.nameko4j.rpc.internal;

import java.util.Map;

/**
 * Observing what goes over the wire: rpc calls and requests, events dispatched and handled. Free
 * of Micrometer types, so the transport loads without micrometer-observation on the class path;
 * {@link #NONE} unless a registry was configured ({@link ObservationInstrumentation}).
 */
public interface Instrumentation {
  /** Observes nothing, writes no header. */
  Instrumentation NONE = new Instrumentation() {
    @Override
    public Observed rpcCall(Map<String, Object> headers, String service, String method, String correlationId) {
      return Observed.NONE;
    }

    @Override
    public Observed rpcRequest(Map<String, Object> headers, String service, String method, String correlationId) {
      return Observed.NONE;
    }

    @Override
    public Observed eventDispatch(Map<String, Object> headers, String source, String eventType) {
      return Observed.NONE;
    }

    @Override
    public Observed eventHandling(Map<String, Object> headers, String source, String eventType, String service, String method) {
      return Observed.NONE;
    }
  };

  /** Starts observing an rpc call; the trace context goes into {@code headers} (mutable). */
  Observed rpcCall(Map<String, Object> headers, String service, String method, String correlationId);

  /** Starts observing an rpc request handled, continuing the trace its {@code headers} carry. */
  Observed rpcRequest(Map<String, Object> headers, String service, String method, String correlationId);

  /** Starts observing an event dispatch; the trace context goes into {@code headers} (mutable). */
  Observed eventDispatch(Map<String, Object> headers, String source, String eventType);

  /** Starts observing an event handled, continuing the trace its {@code headers} carry. */
  Observed eventHandling(Map<String, Object> headers, String source, String eventType, String service, String method);

  /** One observation under way. */
  interface Observed {
    /** Nothing observed. */
    Observed NONE = new Observed() {
      @Override
      public Scope openScope() {
        return Scope.NONE;
      }

      @Override
      public void stop(Throwable error) {}
    };

    /** Makes it the current observation on this thread until the scope closes. */
    Scope openScope();

    /** Ends it, failed when {@code error} is not null. Idempotent. */
    void stop(Throwable error);
  }

  /** A current observation, until closed. */
  interface Scope extends AutoCloseable {
    /** Nothing to close. */
    Scope NONE = () -> { };

    @Override
    void close();
  }
}
