package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import io.github.nameko4j.rpc.internal.Headers;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Context headers and the call id stack travel through Java services as through nameko's (vectors h, h2, k, l, m). */
@ExtendWith(TestServicesExtension.class)
class ContextPropagationIT {
  private static final String UUID_RE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  private static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
  private static final String ECHO = "echo_ctx_" + SUFFIX;
  private static final String RELAY = "relay_ctx_" + SUFFIX;
  private static NamekoRpcServer echo;
  private static NamekoRpcServer relay;
  private static NamekoRpcClient inner;
  private static RawAmqp raw;
  private static BlockingQueue<RawAmqp.Message> toEcho;
  private static BlockingQueue<RawAmqp.Message> toRelay;

  /** The Java twin of wire_py: relay(x) calls echo; chain(n, x) calls itself n times, then echo. */
  public static class Relay {
    @Rpc
    public Object relay(Object x) {
      return inner.call(ECHO, "echo", x);
    }

    @Rpc
    public Object chain(int n, Object x) {
      return n <= 0 ? inner.call(ECHO, "echo", x) : inner.call(RELAY, "chain", n - 1, x);
    }
  }

  @BeforeAll
  static void start(TestServices services) throws Exception {
    inner = NamekoRpcClient.builder().uri(services.amqpUri()).callerName(RELAY).callTimeout(Duration.ofSeconds(10)).build();
    echo = NamekoRpcServer.builder().uri(services.amqpUri()).service(ECHO, new EchoService()).start();
    relay = NamekoRpcServer.builder().uri(services.amqpUri()).service(RELAY, new Relay()).start();
    raw = new RawAmqp(services.amqpUri());
    raw.deleteLater("rpc-" + ECHO);
    raw.deleteLater("rpc-" + RELAY);
    toEcho = raw.listen(ECHO + ".*");
    toRelay = raw.listen(RELAY + ".*");
  }

  @AfterAll
  static void stop() throws Exception {
    relay.close();
    echo.close();
    inner.close();
    raw.close();
  }

  /** Replays a captured foreign request to relay and checks the downstream request against the captured one. */
  @ParameterizedTest
  @ValueSource(strings = {"h_nested_call", "l_minimal_foreign_request", "m_foreign_headers_propagation"})
  void aServiceForwardsContextAndExtendsTheStackAsNamekoDoes(String name) throws Exception {
    Map<String, Object> vector = Vectors.load(name);
    Map<String, Object> request = Vectors.messages(vector).get(0);
    Map<String, Object> downstream = Vectors.messages(vector).get(1);
    String replyKey = UUID.randomUUID().toString();
    BlockingQueue<RawAmqp.Message> replies = raw.listen(replyKey);
    toEcho.clear();

    AMQP.BasicProperties.Builder props = new AMQP.BasicProperties.Builder()
        .contentType("application/json").replyTo(replyKey).correlationId("corr-" + name);
    if (!Vectors.headers(request).isEmpty()) {
      props.headers(new LinkedHashMap<>(Vectors.headers(request)));
    }
    raw.publish(RELAY + ".relay", props.build(), Base64.getDecoder().decode((String) request.get("body_base64")));

    assertThat(RawAmqp.take(replies, 10).bodyText()).contains("\"error\":null");
    RawAmqp.Message sent = RawAmqp.take(toEcho, 10);
    Map<String, Object> expected = Vectors.headers(downstream);
    assertThat(sent.props.getHeaders()).containsOnlyKeys(expected.keySet());
    for (Map.Entry<String, Object> e : expected.entrySet()) {
      if (!e.getKey().equals("nameko.call_id_stack")) {
        assertThat(Headers.plain(sent.props.getHeaders().get(e.getKey()))).as(e.getKey()).isEqualTo(e.getValue());
      }
    }
    List<String> expectedStack = strings(expected.get("nameko.call_id_stack"));
    List<String> stack = strings(sent.props.getHeaders().get("nameko.call_id_stack"));
    assertThat(stack).hasSameSizeAs(expectedStack);
    assertThat(stack.subList(0, stack.size() - 1)).isEqualTo(expectedStack.subList(0, expectedStack.size() - 1));
    assertThat(stack.get(stack.size() - 1)).matches(RELAY + "\\.relay\\." + UUID_RE);
  }

  @Test
  void contextDataOfTheClientTravelsWithTypesAsNamekosDo() throws Exception {
    Map<String, Object> vector = Vectors.load("k_context_data");
    try (NamekoRpcClient client = NamekoRpcClient.builder().uri(TestServices.get().amqpUri())
        .contextData("language", "en-gb").contextData("user_id", 7).contextData("auth_token", "tok")
        .contextData("user_agent", "lab/1.0").contextData("custom", Map.of("k", List.of(1, "v")))
        .contextData("dropped", null).build()) {
      toRelay.clear();
      toEcho.clear();
      assertThat(client.call(RELAY, "relay", "ctx")).isEqualTo("ctx");
    }
    for (int i = 0; i < 2; i++) {
      Map<String, Object> captured = Vectors.messages(vector).get(i);
      RawAmqp.Message sent = RawAmqp.take(i == 0 ? toRelay : toEcho, 10);
      Map<String, Object> headers = sent.props.getHeaders();
      assertThat(headers).containsOnlyKeys(Vectors.headers(captured).keySet());
      Map<String, Object> types = Vectors.headerTypes(captured);
      for (String key : headers.keySet()) {
        if (!key.equals("nameko.call_id_stack")) {
          assertThat(Headers.plain(headers.get(key))).as(key).isEqualTo(Vectors.headers(captured).get(key));
        }
        if (types != null && types.containsKey(key)) {
          String tag = (String) ((Map<?, ?>) types.get(key)).get("t");
          assertThat(amqpTag(headers.get(key))).as("AMQP type of " + key).isEqualTo(tag);
        }
      }
    }
  }

  @Test
  void theStackGrowsOneEntryPerHopThroughAChain() throws Exception {
    toRelay.clear();
    toEcho.clear();
    assertThat(inner.call(RELAY, "chain", 2, "deep")).isEqualTo("deep");
    List<List<String>> stacks = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      stacks.add(strings(RawAmqp.take(toRelay, 10).props.getHeaders().get("nameko.call_id_stack")));
    }
    stacks.add(strings(RawAmqp.take(toEcho, 10).props.getHeaders().get("nameko.call_id_stack")));
    // As vector h2: 1 → 2 → 3 → 4, each stack the previous one plus one "<svc>.chain.<uuid>".
    for (int i = 0; i < 4; i++) {
      assertThat(stacks.get(i)).hasSize(i + 1);
      if (i > 0) {
        assertThat(stacks.get(i).subList(0, i)).isEqualTo(stacks.get(i - 1));
        assertThat(stacks.get(i).get(i)).matches(RELAY + "\\.chain\\." + UUID_RE);
      }
    }
  }

  @Test
  void theStackIsCappedAtElevenEntries() {
    List<String> incoming = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      incoming.add("svc.m." + i);
    }
    List<String> stack = Headers.extend(incoming, "me");
    assertThat(stack).hasSize(11).startsWith("svc.m.1").endsWith("me");
  }

  private static List<String> strings(Object list) {
    List<String> out = new ArrayList<>();
    for (Object o : (List<?>) list) {
      out.add(o.toString());
    }
    return out;
  }

  private static String amqpTag(Object value) {
    if (value instanceof LongString || value instanceof String) {
      return "S";
    }
    if (value instanceof Integer) {
      return "I";
    }
    if (value instanceof List) {
      return "A";
    }
    if (value instanceof Map) {
      return "F";
    }
    return value.getClass().getSimpleName();
  }
}
