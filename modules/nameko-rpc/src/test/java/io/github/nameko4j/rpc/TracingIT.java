package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import io.github.nameko4j.rpc.internal.Json;
import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.github.nameko4j.testsupport.TestTracing;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Traces across nameko services: the trace context travels as {@code nameko.traceparent}, as
 * nameko's OpenTelemetry instrumentation writes it, so Java services continue a Python caller's
 * trace and Python services continue a Java caller's. Nothing is added when tracing is off.
 */
@ExtendWith(TestServicesExtension.class)
class TracingIT {
  /** A W3C traceparent as Python's OpenTelemetry instrumentation writes it: version-traceid-spanid-flags. */
  private static final String PYTHON_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PYTHON_SPAN_ID = "00f067aa0ba902b7";
  private static final String PYTHON_TRACEPARENT = "00-" + PYTHON_TRACE_ID + "-" + PYTHON_SPAN_ID + "-01";

  private String uri;
  private String run;
  private RawAmqp raw;
  private TestTracing tracing;

  @BeforeEach
  void setUp(TestServices services) throws Exception {
    uri = services.amqpUri();
    run = UUID.randomUUID().toString().substring(0, 8);
    raw = new RawAmqp(uri);
    tracing = new TestTracing();
  }

  @AfterEach
  void tearDown() throws Exception {
    raw.close();
    tracing.close();
    Queues.deleteServiceQueues(uri, "trace_relay_" + run, "trace_echo_" + run, "trace_err_" + run, "notrace_relay_" + run);
  }

  /** A service that calls another: relay(x) asks echo. */
  public static class Relay {
    private final NamekoRpcClient client;
    private final String echo;

    Relay(NamekoRpcClient client, String echo) {
      this.client = client;
      this.echo = echo;
    }

    @Rpc
    public Object relay(Object x) {
      return client.call(echo, "echo", x);
    }
  }

  /** The type of the exception a span recorded. */
  private static String exceptionType(SpanData span) {
    return span.getEvents().stream().filter(e -> e.getName().equals("exception"))
        .map(e -> e.getAttributes().get(AttributeKey.stringKey("exception.type"))).findFirst()
        .orElseThrow(() -> new AssertionError("no exception recorded on " + span.getName()));
  }

  private static SpanData only(List<SpanData> spans, String name) {
    List<SpanData> named = spans.stream().filter(s -> s.getName().equals(name)).toList();
    assertThat(named).as("spans named %s among %s", name, spans.stream().map(SpanData::getName).toList()).hasSize(1);
    return named.get(0);
  }

  @Test
  void aJavaServiceContinuesThePythonCallersTraceAndPassesItDownstream() throws Exception {
    String relay = "trace_relay_" + run;
    String echo = "trace_echo_" + run;
    try (NamekoRpcClient inner = NamekoRpcClient.builder().uri(uri).callerName(relay).observationRegistry(tracing.registry()).build();
        NamekoRpcServer relayServer = NamekoRpcServer.builder().uri(uri).service(relay, new Relay(inner, echo))
            .observationRegistry(tracing.registry()).start();
        NamekoRpcServer echoServer = NamekoRpcServer.builder().uri(uri).service(echo, new EchoService())
            .observationRegistry(tracing.registry()).start()) {
      String replyKey = UUID.randomUUID().toString();
      BlockingQueue<RawAmqp.Message> replies = raw.listen(replyKey);
      // The request a Python nameko client with OpenTelemetry instrumentation sends.
      AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
          .contentType("application/json").contentEncoding("utf-8").deliveryMode(2).priority(0)
          .replyTo(replyKey).correlationId(UUID.randomUUID().toString())
          .headers(Map.of("nameko.call_id_stack", List.of("standalone_rpc_proxy.call." + UUID.randomUUID()),
              "nameko.traceparent", PYTHON_TRACEPARENT))
          .build();
      raw.publish(relay + ".relay", props, Json.encodeRequest(List.of("hi"), Map.of()));
      assertThat(RawAmqp.take(replies, 10).bodyText()).contains("\"result\":\"hi\"");

      await().atMost(Duration.ofSeconds(10)).until(() -> tracing.spanNames().containsAll(
          List.of(relay + ".relay process", echo + ".echo send", echo + ".echo process")));
      List<SpanData> spans = tracing.spans();
      SpanData server = only(spans, relay + ".relay process");
      SpanData call = only(spans, echo + ".echo send");
      SpanData downstream = only(spans, echo + ".echo process");
      // One trace, the Python caller's, in order: its span -> relay -> the call -> echo.
      assertThat(spans).extracting(SpanData::getTraceId).containsOnly(PYTHON_TRACE_ID);
      assertThat(server.getParentSpanId()).isEqualTo(PYTHON_SPAN_ID);
      assertThat(server.getKind()).isEqualTo(SpanKind.CONSUMER);
      assertThat(call.getParentSpanId()).isEqualTo(server.getSpanId());
      assertThat(call.getKind()).isEqualTo(SpanKind.PRODUCER);
      assertThat(downstream.getParentSpanId()).isEqualTo(call.getSpanId());
      assertThat(server.getAttributes().get(AttributeKey.stringKey("messaging.system"))).isEqualTo("rabbitmq");
      assertThat(server.getAttributes().get(AttributeKey.stringKey("messaging.destination.name"))).isEqualTo("nameko-rpc");
      assertThat(server.getAttributes().get(AttributeKey.stringKey("messaging.rabbitmq.destination.routing_key")))
          .isEqualTo(relay + ".relay");
      assertThat(call.getAttributes().get(AttributeKey.stringKey("nameko.service"))).isEqualTo(echo);
      assertThat(call.getAttributes().get(AttributeKey.stringKey("nameko.method"))).isEqualTo("echo");
      assertThat(call.getAttributes().get(AttributeKey.stringKey("messaging.message.conversation_id"))).isNotBlank();
    }
  }

  @Test
  void aJavaCallersTraceContextTravelsInTheHeaderAPythonServiceReads() throws Exception {
    String service = "trace_py_" + run;
    BlockingQueue<RawAmqp.Message> requests = raw.consume(raw.serviceQueue(service), true);
    try (NamekoRpcClient client = NamekoRpcClient.builder().uri(uri).observationRegistry(tracing.registry())
        .callTimeout(Duration.ofSeconds(2)).build()) {
      Span root = tracing.tracer().nextSpan().name("test root").start();
      try (Tracer.SpanInScope scope = tracing.tracer().withSpan(root)) {
        assertThatThrownBy(() -> client.call(service, "whatever", 1)).isInstanceOf(RpcTimeoutException.class);
      } finally {
        root.end();
      }
      RawAmqp.Message request = RawAmqp.take(requests, 10);
      Object traceparent = request.props.getHeaders().get("nameko.traceparent");
      assertThat(traceparent).isNotNull();
      // The call's span ends as its timeout fires, on the client's timer thread: wait for it.
      await().atMost(Duration.ofSeconds(10)).until(() -> tracing.spanNames().contains(service + ".whatever send"));
      SpanData call = only(tracing.spans(), service + ".whatever send");
      // version 00, the call's trace and span, sampled (OpenTelemetry Java also sets W3C's random-trace-id bit: 03)
      assertThat(traceparent.toString()).matches("00-" + call.getTraceId() + "-" + call.getSpanId() + "-0[13]");
      assertThat(call.getParentSpanId()).isEqualTo(root.context().spanId());
      assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR); // the timeout
      assertThat(exceptionType(call)).endsWith("RpcTimeoutException");
      // The context data headers a Python service expects are all still there.
      assertThat(request.props.getHeaders()).containsKeys("nameko.call_id_stack", "nameko.traceparent");
    }
  }

  @Test
  void withoutTracingNothingIsAddedAndAnIncomingTraceparentIsPassedOnAsContextData() throws Exception {
    String relay = "notrace_relay_" + run;
    String echo = "notrace_echo_" + run;
    BlockingQueue<RawAmqp.Message> downstream = raw.consume(raw.serviceQueue(echo), true);
    try (NamekoRpcClient inner = NamekoRpcClient.builder().uri(uri).callerName(relay).callTimeout(Duration.ofSeconds(1)).build();
        NamekoRpcServer relayServer = NamekoRpcServer.builder().uri(uri).service(relay, new Relay(inner, echo)).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(uri).callTimeout(Duration.ofSeconds(20)).build()) {
      BlockingQueue<RawAmqp.Message> toRelay = raw.listen(relay + ".*");
      // echo is a queue nobody answers: relay's call times out, and relay raises it as a remote error
      assertThatThrownBy(() -> client.call(relay, "relay", 1)).isInstanceOf(RemoteServiceException.class);
      assertThat(RawAmqp.take(toRelay, 10).props.getHeaders()).containsOnlyKeys("nameko.call_id_stack");
      assertThat(RawAmqp.take(downstream, 10).props.getHeaders()).containsOnlyKeys("nameko.call_id_stack");

      // A Python caller's traceparent crosses an untraced Java service unchanged, as nameko's context data does.
      String replyKey = UUID.randomUUID().toString();
      raw.listen(replyKey);
      raw.publish(relay + ".relay", new AMQP.BasicProperties.Builder().contentType("application/json").replyTo(replyKey)
          .correlationId("c1").headers(Map.of("nameko.traceparent", PYTHON_TRACEPARENT)).build(),
          Json.encodeRequest(List.of(2), Map.of()));
      RawAmqp.Message passedOn = RawAmqp.take(downstream, 10);
      assertThat(passedOn.props.getHeaders().get("nameko.traceparent").toString()).isEqualTo(PYTHON_TRACEPARENT);
    }
    assertThat(tracing.spans()).isEmpty();
  }

  @Test
  void aMethodThatRaisesEndsItsSpanInError() throws Exception {
    String echo = "trace_err_" + run;
    try (NamekoRpcServer echoServer = NamekoRpcServer.builder().uri(uri).service(echo, new EchoService())
            .observationRegistry(tracing.registry()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(uri).observationRegistry(tracing.registry()).build()) {
      assertThatThrownBy(() -> client.call(echo, "boom", "kaboom")).isInstanceOf(RemoteServiceException.class);
      await().atMost(Duration.ofSeconds(10)).until(() -> tracing.spanNames().containsAll(List.of(echo + ".boom process", echo + ".boom send")));
      SpanData server = only(tracing.spans(), echo + ".boom process");
      SpanData call = only(tracing.spans(), echo + ".boom send");
      assertThat(server.getParentSpanId()).isEqualTo(call.getSpanId());
      assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(exceptionType(server)).endsWith("ValueError");
      assertThat(exceptionType(call)).endsWith("RemoteServiceException");
    }
  }
}
