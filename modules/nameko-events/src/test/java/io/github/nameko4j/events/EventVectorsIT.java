package io.github.nameko4j.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.rpc.RpcContext;
import io.github.nameko4j.rpc.internal.Json;
import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every event captured from nameko 2.14, both ways: Java handlers see what the Python handlers saw
 * (payload, context, call id stack), and Java dispatchers write what nameko wrote (EVENTS.md §2,
 * §4.2, §5, §6). The vectors' source {@code evsrc_py} becomes a name of this run.
 */
@ExtendWith(TestServicesExtension.class)
class EventVectorsIT {
  private static final String UUID_RE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
  private static String uri;
  private static RawAmqp raw;

  @BeforeAll
  static void connect(TestServices services) throws Exception {
    uri = services.amqpUri();
    raw = new RawAmqp(uri);
  }

  @AfterAll
  static void disconnect() throws Exception {
    raw.close();
    Queues.deleteServiceQueues(uri, "evsrc_" + SUFFIX, "evsrc7_" + SUFFIX, "evrpc_" + SUFFIX);
  }

  private static AMQP.BasicProperties propertiesOf(Map<String, Object> message) {
    Map<String, Object> p = Vectors.map(message, "properties");
    AMQP.BasicProperties.Builder props = new AMQP.BasicProperties.Builder()
        .contentType((String) p.get("content_type"))
        .contentEncoding((String) p.get("content_encoding"))
        .deliveryMode((Integer) p.get("delivery_mode"))
        .priority((Integer) p.get("priority"));
    Object headers = message.get("headers");
    if (headers != null) {
      props.headers(new LinkedHashMap<>(Vectors.map(message, "headers")));
    }
    return props.build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"events_1_dispatch_in_service", "events_2_dispatch_standalone", "events_3_service_pool",
      "events_3b_service_pool_unreliable", "events_4_singleton", "events_5_broadcast", "events_5b_broadcast_reliable_custom_id",
      "events_7_handler_context", "events_8_payload_types", "events_9b_durable_queue_while_down"})
  void javaHandlersSeeEveryCapturedEventAsThePythonHandlersDid(String name) throws Exception {
    Map<String, Object> vector = Vectors.load(name);
    String service = "evjava_" + SUFFIX;
    Recorder recorder = new Recorder("java");
    Map<String, String> sources = new LinkedHashMap<>(); // vector's exchange -> ours
    for (Map<String, Object> m : Vectors.messages(vector, "event")) {
      sources.computeIfAbsent((String) m.get("exchange"), x -> x.replace(".events", "") + "_" + SUFFIX);
    }
    EventSubscriber.Builder builder = EventSubscriber.builder().uri(uri).service(service);
    for (String source : sources.values()) {
      builder.on(source, "#", HandlerType.SERVICE_POOL, false, false, "on_any", recorder);
    }
    int compared = 0;
    try (EventSubscriber subscriber = builder.start()) {
      List<Map<String, Object>> events = Vectors.messages(vector, "event");
      for (int i = 0; i < events.size(); i++) {
        Map<String, Object> message = events.get(i);
        String source = sources.get((String) message.get("exchange"));
        raw.publish(source + ".events", (String) message.get("routing_key"), propertiesOf(message), Vectors.body(message));
        // One at a time, so the i-th event seen is the i-th published.
        Event ours = recorder.awaitCount(i + 1, WAIT).get(i).event();

        assertThat(ours.source()).isEqualTo(source);
        assertThat(ours.type()).isEqualTo(message.get("routing_key"));
        assertThat(ours.redelivered()).isFalse();
        assertThat(ours.context().service()).isEqualTo(service);
        assertThat(ours.context().method()).isEqualTo("on_any");
        List<String> ourStack = ours.context().callIdStack();
        assertThat(ourStack.get(ourStack.size() - 1)).matches(service + "\\.on_any\\." + UUID_RE);

        Map<String, Object> python = handledWithPayload(vector, ours.payload());
        if (python == null) {
          continue; // the Python side lost this one on purpose (an unreliable queue that was gone)
        }
        compared++;
        assertThat(ours.payload()).isEqualTo(python.get("payload"));
        assertThat(ours.context().data()).isEqualTo(python.get("context_data_seen"));
        @SuppressWarnings("unchecked")
        List<String> theirStack = (List<String>) python.get("call_id_stack");
        assertThat(ourStack.subList(0, ourStack.size() - 1)).isEqualTo(theirStack.subList(0, theirStack.size() - 1));
      }
    }
    assertThat(compared).as("events of %s the Python handlers saw", name).isPositive();
  }

  /** A Python handler's view of the event with this payload, if one handled it. */
  private static Map<String, Object> handledWithPayload(Map<String, Object> vector, Object payload) {
    for (Map<String, Object> h : Vectors.list(vector, "handled")) {
      if (Objects.equals(h.get("payload"), payload)) {
        return h;
      }
    }
    return null;
  }

  @ParameterizedTest
  @ValueSource(strings = {"events_2_dispatch_standalone", "events_8_payload_types", "events_3_service_pool", "events_4_singleton"})
  void aStandaloneJavaDispatchWritesWhatNamekosStandaloneDispatcherWrote(String name) throws Exception {
    Map<String, Object> vector = Vectors.load(name);
    String source = "evsrc_" + SUFFIX + "_" + name.substring(7, 9).replace("_", "");
    BlockingQueue<RawAmqp.Message> wire = raw.listen(raw.eventsExchange(source), "#");
    int compared = 0;
    try (EventDispatcher dispatcher = EventDispatcher.builder().uri(uri).source(source).build()) {
      for (Map<String, Object> theirs : Vectors.messages(vector, "event")) {
        if (!Vectors.map(theirs, "headers").isEmpty()) {
          continue; // dispatched inside a service: see the next test
        }
        Object payload = Json.decode(Vectors.body(theirs), StandardCharsets.UTF_8);
        dispatcher.dispatch((String) theirs.get("routing_key"), payload);
        RawAmqp.Message ours = RawAmqp.take(wire, 10);

        assertThat(ours.envelope().getExchange()).isEqualTo(source + ".events");
        assertThat(ours.envelope().getRoutingKey()).isEqualTo(theirs.get("routing_key"));
        assertSamePropertiesAs(theirs, ours.props());
        assertThat(ours.props().getHeaders()).isEmpty();
        assertThat(Json.decode(ours.body(), StandardCharsets.UTF_8)).isEqualTo(payload);
        assertThat(new String(ours.body(), StandardCharsets.ISO_8859_1)).matches("\\p{ASCII}*"); // kombu writes pure ASCII
        compared++;
      }
    }
    assertThat(compared).isPositive();
  }

  /** The properties present and their values, as py-amqp saw nameko's event. */
  private static void assertSamePropertiesAs(Map<String, Object> theirs, AMQP.BasicProperties ours) {
    Map<String, Object> p = Vectors.map(theirs, "properties");
    assertThat(ours.getContentType()).isEqualTo(p.get("content_type"));
    assertThat(ours.getContentEncoding()).isEqualTo(p.get("content_encoding"));
    assertThat(ours.getDeliveryMode()).isEqualTo(p.get("delivery_mode"));
    assertThat(ours.getPriority()).isEqualTo(p.get("priority"));
    @SuppressWarnings("unchecked")
    List<String> present = (List<String>) Vectors.map(theirs, "as_delivered").get("properties_present");
    assertThat(present(ours)).isEqualTo(new TreeSet<>(present));
  }

  private static Set<String> present(AMQP.BasicProperties p) {
    Set<String> names = new TreeSet<>();
    Object[][] all = {{"content_type", p.getContentType()}, {"content_encoding", p.getContentEncoding()},
        {"headers", p.getHeaders()}, {"delivery_mode", p.getDeliveryMode()}, {"priority", p.getPriority()},
        {"correlation_id", p.getCorrelationId()}, {"reply_to", p.getReplyTo()}, {"expiration", p.getExpiration()},
        {"message_id", p.getMessageId()}, {"timestamp", p.getTimestamp()}, {"type", p.getType()},
        {"user_id", p.getUserId()}, {"app_id", p.getAppId()}, {"cluster_id", p.getClusterId()}};
    for (Object[] property : all) {
      if (property[1] != null) {
        names.add((String) property[0]);
      }
    }
    return names;
  }

  /** The Java twin of evsrc_py: fire(event_type, payload) dispatches from inside a service method. */
  public static class Firing {
    private final EventDispatcher events;

    public Firing(EventDispatcher events) {
      this.events = events;
    }

    @Rpc
    public String fire(String eventType, Object payload) {
      events.dispatch(eventType, payload);
      return "dispatched";
    }
  }

  @Test
  void anEventDispatchedInsideAServiceMethodCarriesItsContextAsNamekosDoes() throws Exception {
    Map<String, Object> vector = Vectors.load("events_1_dispatch_in_service");
    Map<String, Object> request = Vectors.messages(vector, "request").get(0);
    Map<String, Object> theirs = Vectors.messages(vector, "event").get(0);
    String source = "evsrc_" + SUFFIX;
    BlockingQueue<RawAmqp.Message> wire = raw.listen(raw.eventsExchange(source), "#");
    NamekoRpcClient.Builder clientBuilder = NamekoRpcClient.builder().uri(uri);
    // The rpc caller's context, as the vector's request carried it.
    Vectors.map(request, "headers").forEach((key, value) -> {
      if (!key.equals("nameko.call_id_stack")) {
        clientBuilder.contextData(key.substring("nameko.".length()), value);
      }
    });
    try (EventDispatcher dispatcher = EventDispatcher.builder().uri(uri).source(source).build();
        NamekoRpcServer server = NamekoRpcServer.builder().uri(uri).service(source, new Firing(dispatcher)).start();
        NamekoRpcClient client = clientBuilder.build()) {
      Object payload = Json.decode(Vectors.body(theirs), StandardCharsets.UTF_8);
      assertThat(client.call(source, "fire", theirs.get("routing_key"), payload)).isEqualTo("dispatched");
      RawAmqp.Message ours = RawAmqp.take(wire, 10);

      assertSamePropertiesAs(theirs, ours.props());
      Map<String, Object> headers = ours.props().getHeaders();
      Map<String, Object> expected = new LinkedHashMap<>(Vectors.map(theirs, "headers"));
      @SuppressWarnings("unchecked")
      List<String> theirStack = (List<String>) expected.remove("nameko.call_id_stack");
      assertThat(headers.keySet()).containsExactlyInAnyOrderElementsOf(Vectors.map(theirs, "headers").keySet());
      expected.forEach((key, value) -> assertThat(plain(headers.get(key))).as(key).isEqualTo(value));
      // The AMQP field types py-amqp saw: S for strings, I for the int, F for the table, A for the stack.
      assertThat(headers.get("nameko.language")).isInstanceOf(LongString.class);
      assertThat(headers.get("nameko.user_id")).isInstanceOf(Integer.class);
      assertThat(headers.get("nameko.custom")).isInstanceOf(Map.class);
      List<?> stack = (List<?>) headers.get("nameko.call_id_stack");
      assertThat(stack).hasSameSizeAs(theirStack);
      assertThat(stack.get(0).toString()).matches("standalone_rpc_proxy\\.call\\." + UUID_RE);
      assertThat(stack.get(1).toString()).matches(source + "\\.fire\\." + UUID_RE);
      assertThat(Json.decode(ours.body(), StandardCharsets.UTF_8)).isEqualTo(payload);
    }
  }

  private static Object plain(Object value) {
    if (value instanceof LongString) {
      return value.toString();
    }
    if (value instanceof List) {
      List<Object> out = new ArrayList<>();
      ((List<?>) value).forEach(v -> out.add(plain(v)));
      return out;
    }
    if (value instanceof Map) {
      Map<Object, Object> out = new LinkedHashMap<>();
      ((Map<?, ?>) value).forEach((k, v) -> out.put(k, plain(v)));
      return out;
    }
    return value;
  }

  /** evrpc_py's twin. */
  public static class WhoAmI {
    @Rpc
    public Map<String, Object> whoami() {
      RpcContext c = RpcContext.current().orElseThrow();
      return Map.of("call_id_stack", c.callIdStack(), "context", c.data());
    }
  }

  @Test
  void contextAndCallIdStackTravelThroughAnEventToAHandlerAndOnToItsCallsAndEvents() throws Exception {
    Map<String, Object> vector = Vectors.load("events_7_handler_context");
    String source = "evsrc7_" + SUFFIX;
    String relayService = "evctx_" + SUFFIX;
    String whoamiService = "evrpc_" + SUFFIX;
    Recorder relayed = new Recorder("relayed");
    Recorder probes = new Recorder("probe");
    AtomicReference<Map<String, Object>> rpcSaw = new AtomicReference<>();
    NamekoRpcClient.Builder callerBuilder = NamekoRpcClient.builder().uri(uri);
    Map<String, Object> context = Map.of("language", "fr-FR", "auth_token", "tok-777", "user_id", 42, "trace_tag", "abc");
    context.forEach(callerBuilder::contextData);
    try (EventDispatcher sourceEvents = EventDispatcher.builder().uri(uri).source(source).build();
        EventDispatcher relayEvents = EventDispatcher.builder().uri(uri).source(relayService).build();
        NamekoRpcClient handlerClient = NamekoRpcClient.builder().uri(uri).build();
        NamekoRpcServer fire = NamekoRpcServer.builder().uri(uri).service(source, new Firing(sourceEvents)).start();
        NamekoRpcServer whoami = NamekoRpcServer.builder().uri(uri).service(whoamiService, new WhoAmI()).start();
        // evctx_py's twin: asks an rpc service who it is, then relays the event from its own service.
        EventSubscriber handlers = EventSubscriber.builder().uri(uri).service(relayService)
            .on(source, "ctx_probe", HandlerType.SERVICE_POOL, false, false, "on_ctx_probe", event -> {
              rpcSaw.set(castMap(handlerClient.call(whoamiService, "whoami")));
              relayEvents.dispatch("ctx_relayed", Map.of("relayed_by", relayService, "original", event.payload()));
              probes.onEvent(event);
            })
            .on(relayService, "ctx_relayed", HandlerType.SERVICE_POOL, false, false, "on_relayed", relayed)
            .start();
        NamekoRpcClient caller = callerBuilder.build()) {
      assertThat(caller.call(source, "fire", "ctx_probe", Map.of("id", "c1"))).isEqualTo("dispatched");
      Event last = relayed.awaitCount(1, WAIT).get(0).event();
      Event first = probes.awaitCount(1, WAIT).get(0).event();

      // The same shape as the vector: 3 entries in the first handler, 4 in the relayed one.
      List<Map<String, Object>> handled = Vectors.list(vector, "handled");
      assertThat(first.context().callIdStack()).hasSize(stackOf(handled, "on_ctx_probe").size());
      assertThat(last.context().callIdStack()).hasSize(stackOf(handled, "on_relayed").size());
      assertThat(first.context().callIdStack().get(1)).matches(source + "\\.fire\\." + UUID_RE);
      assertThat(first.context().callIdStack().get(2)).matches(relayService + "\\.on_ctx_probe\\." + UUID_RE);
      assertThat(last.context().callIdStack().subList(0, 3)).isEqualTo(first.context().callIdStack());
      assertThat(last.context().callIdStack().get(3)).matches(relayService + "\\.on_relayed\\." + UUID_RE);
      assertThat(last.payload()).isEqualTo(Map.of("relayed_by", relayService, "original", Map.of("id", "c1")));
      // The context data arrived unchanged at every hop, the rpc call from the handler included.
      assertThat(first.context().data()).isEqualTo(context);
      assertThat(last.context().data()).isEqualTo(context);
      assertThat(rpcSaw.get().get("context")).isEqualTo(context);
      assertThat(castList(rpcSaw.get().get("call_id_stack")).subList(0, 3)).isEqualTo(first.context().callIdStack());
    }
  }

  @SuppressWarnings("unchecked")
  private static List<String> stackOf(List<Map<String, Object>> handled, String method) {
    return handled.stream().filter(h -> method.equals(h.get("method"))).map(h -> (List<String>) h.get("call_id_stack"))
        .findFirst().orElseThrow();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> castList(Object o) {
    return (List<Object>) o;
  }

  /**
   * What each of the 12 foreign publishes of events_8b should give a Java handler: the payload,
   * or DROPPED when a Python handler dropped it (acked, logged, never retried).
   */
  private static Map<String, Object> foreignExpectations() {
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("a_minimal_json", Map.of("id", "f-a"));
    expected.put("b_no_content_type", "{\"id\": \"f-b\"}"); // not parsed: the raw text, as Python hands it over
    expected.put("c_text_plain", DROPPED);
    expected.put("d_json_with_charset", DROPPED);
    expected.put("e_invalid_json", DROPPED);
    expected.put("f_latin1_encoding", Map.of("id", "f-f", "v", "caf\u00e9"));
    expected.put("g_nan_in_body", Map.of("id", "f-g", "v", Double.NaN));
    expected.put("h_headers_foreign_shapes", Map.of("id", "f-h"));
    expected.put("i_java_style_stack", Map.of("id", "f-i"));
    expected.put("j_default_exchange_direct_to_queue", Map.of("id", "f-j"));
    expected.put("k_empty_body_json", "");
    expected.put("l_json_null_body", NULL);
    return expected;
  }

  private static final Object DROPPED = new Object();
  private static final Object NULL = new Object();

  @Test
  void foreignPublishesAreHandledOrDroppedAsAPythonHandlerDoesAndNeverStopTheConsumer() throws Exception {
    Map<String, Object> vector = Vectors.load("events_8b_foreign_publisher");
    String source = "evsrc8b_" + SUFFIX;
    String service = "evpayload_" + SUFFIX;
    Recorder recorder = new Recorder("java");
    Map<String, Object> expectations = foreignExpectations();
    // One worker, prefetch 1: the sentinel after each case arrives only once that case was settled.
    try (EventSubscriber subscriber = EventSubscriber.builder().uri(uri).service(service).maxWorkers(1)
        .on(source, "payload_probe", HandlerType.SERVICE_POOL, false, false, "on_probe", recorder).start()) {
      String queue = subscriber.queues().get(0);
      assertThat(queue).isEqualTo("evt-" + source + "-payload_probe--" + service + ".on_probe");
      List<Map<String, Object>> cases = Vectors.list(vector, "cases");
      assertThat(cases).extracting(c -> c.get("case")).containsExactlyElementsOf(expectations.keySet());
      for (int i = 0; i < cases.size(); i++) {
        Map<String, Object> c = cases.get(i);
        Map<String, Object> publish = Vectors.map(c, "publish");
        Map<String, Object> p = Vectors.map(publish, "properties");
        AMQP.BasicProperties.Builder props = new AMQP.BasicProperties.Builder()
            .contentType((String) p.get("content_type"))
            .contentEncoding((String) p.get("content_encoding"))
            .deliveryMode((Integer) p.get("delivery_mode"));
        if (p.get("application_headers") != null) {
          props.headers(new LinkedHashMap<>(Vectors.map(p, "application_headers")));
        }
        byte[] body = publish.get("body_utf8") == null
            ? Vectors.body(Vectors.list(c, "messages").get(0))
            : ((String) publish.get("body_utf8")).getBytes(StandardCharsets.UTF_8);
        int before = nonSentinels(recorder).size();
        boolean direct = "".equals(publish.get("exchange"));
        raw.publish(direct ? "" : source + ".events", direct ? queue : "payload_probe", props.build(), body);
        Map<String, Object> sentinel = Map.of("sentinel", i);
        raw.publish(source + ".events", "payload_probe",
            new AMQP.BasicProperties.Builder().contentType("application/json").build(), Json.encode(sentinel));
        recorder.awaitOne(s -> sentinel.equals(s.event().payload()), WAIT);

        List<Event> seen = nonSentinels(recorder);
        Object expected = expectations.get((String) c.get("case"));
        String what = (String) c.get("case");
        if (expected == DROPPED) {
          assertThat(c.get("handled")).as(what).isEqualTo(false);
          assertThat(seen).as(what + ": never reached the handler").hasSize(before);
          continue;
        }
        assertThat(c.get("handled")).as(what).isEqualTo(true);
        assertThat(seen).as(what + ": handled once").hasSize(before + 1);
        Event ours = seen.get(seen.size() - 1);
        assertThat(ours.payload()).as(what).isEqualTo(expected == NULL ? null : expected);
        Map<String, Object> python = Vectors.list(c, "handler_saw").get(0);
        assertThat(ours.context().data()).as(what).isEqualTo(python.get("context_data_seen"));
        List<String> stack = ours.context().callIdStack();
        assertThat(stack.get(stack.size() - 1)).matches(service + "\\.on_probe\\." + UUID_RE);
        List<String> inherited = stack.subList(0, stack.size() - 1);
        switch (what) {
          // Python iterates a string stack character by character; we take it as one call id.
          case "h_headers_foreign_shapes" -> assertThat(inherited).containsExactly("java_svc.emit.1");
          case "i_java_style_stack" -> assertThat(inherited).containsExactly("java_svc.emit.2");
          default -> assertThat(inherited).isEmpty();
        }
      }
      long handled = expectations.values().stream().filter(e -> e != DROPPED).count();
      assertThat(nonSentinels(recorder)).hasSize((int) handled);
      assertThat(subscriber.isConnected()).isTrue();
      assertThat(raw.ready(queue)).isZero();
    }
  }

  private static List<Event> nonSentinels(Recorder recorder) {
    return recorder.seen().stream().map(Recorder.Seen::event).filter(e -> !isSentinel(e.payload())).toList();
  }

  private static boolean isSentinel(Object payload) {
    return payload instanceof Map && ((Map<?, ?>) payload).containsKey("sentinel");
  }
}
