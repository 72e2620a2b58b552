package io.github.nameko4j.testsupport;

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
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.List;

/**
 * Real tracing for tests: Micrometer Tracing over the OpenTelemetry SDK, W3C propagation (as
 * nameko's OpenTelemetry instrumentation uses), every span kept in memory. One per test; close it.
 */
public final class TestTracing implements AutoCloseable {
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final SdkTracerProvider provider;
  private final ObservationRegistry registry = ObservationRegistry.create();
  private final OtelTracer tracer;

  public TestTracing() {
    provider = SdkTracerProvider.builder().setSampler(Sampler.alwaysOn()).addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
    Tracer otel = provider.get("nameko4j-tests");
    ContextPropagators propagators = ContextPropagators.create(W3CTraceContextPropagator.getInstance());
    OtelCurrentTraceContext current = new OtelCurrentTraceContext();
    tracer = new OtelTracer(otel, current, event -> { }, new OtelBaggageManager(current, List.of(), List.of()));
    OtelPropagator propagator = new OtelPropagator(propagators, otel);
    registry.observationConfig().observationHandler(new ObservationHandler.FirstMatchingCompositeObservationHandler(
        new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
        new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
        new DefaultTracingObservationHandler(tracer)));
  }

  /** The registry to give the library's builders. */
  public ObservationRegistry registry() {
    return registry;
  }

  /** The Micrometer tracer, e.g. to open a span of the test's own. */
  public OtelTracer tracer() {
    return tracer;
  }

  /** Every span ended so far. */
  public List<SpanData> spans() {
    return spans.getFinishedSpanItems();
  }

  /** The names of the spans ended so far: what a test waits for before it reads them. */
  public List<String> spanNames() {
    return spans().stream().map(SpanData::getName).toList();
  }

  @Override
  public void close() {
    provider.close();
  }
}
