package io.github.nameko4j.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.github.nameko4j.testsupport.TestTracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** An event continues its dispatcher's trace: dispatch span, then the handler's span, then what the handler dispatches. */
@ExtendWith(TestServicesExtension.class)
class EventTracingIT {

  private static SpanData named(List<SpanData> spans, String name) {
    List<SpanData> found = spans.stream().filter(s -> s.getName().equals(name)).toList();
    assertThat(found).as("one span %s among %s", name, spans.stream().map(SpanData::getName).toList()).hasSize(1);
    return found.get(0);
  }

  @Test
  void anEventCarriesItsTraceToTheHandlerAndOnToTheEventsItDispatches(TestServices services) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String orders = "orders_" + run;
    String stock = "stock_" + run;
    try (TestTracing tracing = new TestTracing();
        RawAmqp raw = new RawAmqp(services.amqpUri());
        EventDispatcher orderEvents = EventDispatcher.builder().uri(services.amqpUri()).source(orders)
            .observationRegistry(tracing.registry()).build();
        EventDispatcher stockEvents = EventDispatcher.builder().uri(services.amqpUri()).source(stock)
            .observationRegistry(tracing.registry()).build()) {
      BlockingQueue<RawAmqp.Message> wire = raw.listen(raw.eventsExchange(orders), "#");
      Recorder restocked = new Recorder("audit");
      try (EventSubscriber stockService = EventSubscriber.builder().uri(services.amqpUri()).service(stock)
              .observationRegistry(tracing.registry())
              .on(orders, "order_created", HandlerType.SERVICE_POOL, false, false, "on_order",
                  event -> stockEvents.dispatch("stock_reserved", event.payload()))
              .start();
          EventSubscriber audit = EventSubscriber.builder().uri(services.amqpUri()).service("audit_" + run)
              .observationRegistry(tracing.registry())
              .on(stock, "stock_reserved", HandlerType.SERVICE_POOL, false, false, "on_reserved", restocked).start()) {
        Tracer tracer = tracing.tracer();
        Span root = tracer.nextSpan().name("checkout").start();
        try (Tracer.SpanInScope scope = tracer.withSpan(root)) {
          orderEvents.dispatch("order_created", Map.of("id", 1));
        } finally {
          root.end();
        }
        restocked.awaitCount(1, Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10)).until(() -> tracing.spans().size() >= 5);
        List<SpanData> spans = tracing.spans();
        assertThat(spans).extracting(SpanData::getTraceId).containsOnly(root.context().traceId());
        SpanData dispatch = named(spans, orders + ".events order_created publish");
        SpanData handling = named(spans, orders + ".events order_created process");
        SpanData relay = named(spans, stock + ".events stock_reserved publish");
        SpanData audited = named(spans, stock + ".events stock_reserved process");
        assertThat(dispatch.getParentSpanId()).isEqualTo(root.context().spanId());
        assertThat(dispatch.getKind()).isEqualTo(SpanKind.PRODUCER);
        assertThat(handling.getParentSpanId()).isEqualTo(dispatch.getSpanId());
        assertThat(handling.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(relay.getParentSpanId()).isEqualTo(handling.getSpanId());
        assertThat(audited.getParentSpanId()).isEqualTo(relay.getSpanId());
        assertThat(handling.getAttributes().get(AttributeKey.stringKey("messaging.destination.name"))).isEqualTo(orders + ".events");
        assertThat(handling.getAttributes().get(AttributeKey.stringKey("nameko.service"))).isEqualTo(stock);
        assertThat(handling.getAttributes().get(AttributeKey.stringKey("nameko.method"))).isEqualTo("on_order");
        // On the wire: nameko's context data header, as Python's instrumentation reads it.
        RawAmqp.Message event = RawAmqp.take(wire, 10);
        assertThat(event.props().getHeaders().get("nameko.traceparent").toString())
            .matches("00-" + dispatch.getTraceId() + "-" + dispatch.getSpanId() + "-0[13]");
      }
    }
  }
}
