package io.github.nameko4j.benchmarks;

import io.github.nameko4j.rpc.internal.Instrumentation;
import io.github.nameko4j.rpc.internal.ObservationInstrumentation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelBaggageManager;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What observing one rpc costs, both ends (the client's call and the server's request, with its
 * scope): none configured, a registry without handlers, and real OpenTelemetry tracing with spans
 * sampled and dropped at export.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ObservationBench {
  Instrumentation handlerless;
  Instrumentation traced;
  SdkTracerProvider provider;

  @Setup
  public void setUp() {
    handlerless = ObservationInstrumentation.of(ObservationRegistry.create(), null, null);
    provider = SdkTracerProvider.builder().setSampler(Sampler.alwaysOn()).build(); // no processor: spans dropped
    Tracer otel = provider.get("bench");
    OtelCurrentTraceContext current = new OtelCurrentTraceContext();
    OtelTracer tracer = new OtelTracer(otel, current, event -> { }, new OtelBaggageManager(current, List.of(), List.of()));
    OtelPropagator propagator = new OtelPropagator(ContextPropagators.create(W3CTraceContextPropagator.getInstance()), otel);
    ObservationRegistry registry = ObservationRegistry.create();
    registry.observationConfig().observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
        new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
        new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
        new DefaultTracingObservationHandler(tracer)));
    traced = ObservationInstrumentation.of(registry, null, null);
  }

  @TearDown
  public void tearDown() {
    provider.close();
  }

  private static void oneCall(Instrumentation instrumentation, Blackhole bh) {
    Map<String, Object> headers = new HashMap<>(4);
    headers.put("nameko.call_id_stack", List.of("bench.call.1"));
    Instrumentation.Observed call = instrumentation.rpcCall(headers, "svc", "method", "cid");
    Instrumentation.Observed request = instrumentation.rpcRequest(headers, "svc", "method", "cid");
    try (Instrumentation.Scope scope = request.openScope()) {
      bh.consume(scope);
    }
    request.stop(null);
    call.stop(null);
    bh.consume(headers);
  }

  @Benchmark
  public void none(Blackhole bh) {
    oneCall(Instrumentation.NONE, bh);
  }

  @Benchmark
  public void registryWithoutHandlers(Blackhole bh) {
    oneCall(handlerless, bh);
  }

  @Benchmark
  public void openTelemetryTracing(Blackhole bh) {
    oneCall(traced, bh);
  }
}
