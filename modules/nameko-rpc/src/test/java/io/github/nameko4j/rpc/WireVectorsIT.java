package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import io.github.nameko4j.rpc.internal.Json;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every captured nameko message, both ways: what our client publishes carries what nameko's does
 * and our client reads nameko's replies; our server answers nameko's requests as nameko does.
 */
@ExtendWith(TestServicesExtension.class)
class WireVectorsIT {
  private static final String UUID_RE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  private static final String ECHO = "echo_vec_" + UUID.randomUUID().toString().substring(0, 8);
  private static NamekoRpcClient client;
  private static NamekoRpcServer echoServer;
  private static RawAmqp raw;

  @BeforeAll
  static void start(TestServices services) throws Exception {
    client = NamekoRpcClient.builder().uri(services.amqpUri()).callTimeout(Duration.ofSeconds(10)).build();
    echoServer = NamekoRpcServer.builder().uri(services.amqpUri()).service(ECHO, new EchoService()).start();
    raw = new RawAmqp(services.amqpUri());
    raw.deleteLater("rpc-" + ECHO);
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    echoServer.close();
    raw.close();
  }

  private static Object parse(String json) {
    return Json.decode(json.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a_call_args", "b_call_kwargs", "c_call_rich_types", "d_reply_result", "d2_reply_python_types",
      "e1_error_builtin", "e2_error_custom", "e3_error_unserializable_result", "f_method_not_found", "i_incorrect_signature"})
  void clientPublishesWhatNamekoPublishesAndReadsNamekosReply(String name) throws Exception {
    Map<String, Object> vector = Vectors.load(name);
    Map<String, Object> request = Vectors.messages(vector).get(0);
    String routingKey = (String) request.get("routing_key");
    String method = routingKey.substring(routingKey.indexOf('.') + 1);
    Map<?, ?> sentBody = (Map<?, ?>) parse(Vectors.body(request));

    String fakeService = "fake_" + UUID.randomUUID().toString().substring(0, 8);
    BlockingQueue<RawAmqp.Message> requests = raw.consume(raw.serviceQueue(fakeService), true);
    @SuppressWarnings("unchecked")
    CompletableFuture<Object> call = client.callAsync(fakeService, method,
        (List<?>) sentBody.get("args"), (Map<String, ?>) sentBody.get("kwargs"));

    RawAmqp.Message got = RawAmqp.take(requests, 10);
    assertThat(got.envelope.getExchange()).isEqualTo("nameko-rpc");
    assertThat(got.envelope.getRoutingKey()).isEqualTo(fakeService + "." + method);
    AMQP.BasicProperties p = got.props;
    Map<String, Object> captured = Vectors.props(request);
    assertThat(p.getContentType()).isEqualTo(captured.get("content_type"));
    assertThat(p.getContentEncoding()).isEqualTo(captured.get("content_encoding"));
    assertThat(p.getDeliveryMode()).isEqualTo(captured.get("delivery_mode"));
    assertThat(p.getPriority()).isEqualTo(captured.get("priority"));
    assertThat(p.getCorrelationId()).matches(UUID_RE);
    assertThat(p.getReplyTo()).matches(UUID_RE);
    // nameko sets no expiration; we set the caller's remaining wait (the broker drops the request
    // once nobody waits for it), which Python services never look at.
    assertThat(Long.parseLong(p.getExpiration())).isBetween(1L, client.callTimeout().toMillis());
    assertThat(p.getHeaders()).containsOnlyKeys("nameko.call_id_stack");
    List<?> stack = (List<?>) p.getHeaders().get("nameko.call_id_stack");
    assertThat(stack).hasSize(1);
    assertThat(stack.get(0)).isInstanceOf(LongString.class); // 'S', as py-amqp writes it
    assertThat(stack.get(0).toString()).matches("standalone_rpc_proxy\\.call\\." + UUID_RE);
    assertThat(parse(got.bodyText())).isEqualTo(sentBody);
    assertThat(new String(got.body, StandardCharsets.ISO_8859_1)).matches("\\p{ASCII}*"); // kombu writes pure ASCII

    Map<String, Object> reply = replyTo(vector, (String) captured.get("reply_to"));
    Map<String, Object> replyProps = Vectors.props(reply);
    AMQP.BasicProperties answer = new AMQP.BasicProperties.Builder()
        .contentType((String) replyProps.get("content_type"))
        .contentEncoding((String) replyProps.get("content_encoding"))
        .deliveryMode((Integer) replyProps.get("delivery_mode"))
        .priority((Integer) replyProps.get("priority"))
        .headers(Map.of())
        .correlationId(p.getCorrelationId())
        .build();
    raw.publish(p.getReplyTo(), answer, Base64.getDecoder().decode((String) reply.get("body_base64")));

    checkOutcome(Vectors.outcome(vector), call);
  }

  private static Map<String, Object> replyTo(Map<String, Object> vector, String replyTo) {
    for (Map<String, Object> m : Vectors.messages(vector)) {
      if ("reply".equals(m.get("kind")) && replyTo.equals(m.get("routing_key"))) {
        return m;
      }
    }
    throw new AssertionError("vector has no reply to " + replyTo);
  }

  private static void checkOutcome(Map<String, Object> outcome, CompletableFuture<Object> call) throws Exception {
    if (outcome.containsKey("returned")) {
      Object expected = parse(Json.mapper().writeValueAsString(outcome.get("returned")).replace("{\"__float__\":\"nan\"}", "NaN").replace("{\"__float__\":\"inf\"}", "Infinity"));
      assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo(expected);
      return;
    }
    Throwable error;
    try {
      Object result = call.get(10, TimeUnit.SECONDS);
      throw new AssertionError("expected " + outcome.get("raised") + " but got " + result);
    } catch (ExecutionException e) {
      error = e.getCause();
    }
    String raised = (String) outcome.get("raised");
    switch (raised) {
      case "nameko.exceptions.RemoteError":
        assertThat(error).isExactlyInstanceOf(RemoteServiceException.class);
        RemoteServiceException remote = (RemoteServiceException) error;
        assertThat(remote.excType()).isEqualTo(outcome.get("exc_type"));
        assertThat(remote.value()).isEqualTo(outcome.get("value"));
        assertThat(remote.getMessage()).isEqualTo(outcome.get("str"));
        break;
      case "nameko.exceptions.MethodNotFound":
        assertThat(error).isInstanceOf(MethodNotFoundException.class);
        assertThat(((RemoteServiceException) error).value()).isEqualTo(outcome.get("str"));
        break;
      case "nameko.exceptions.IncorrectSignature":
        assertThat(error).isInstanceOf(IncorrectSignatureException.class);
        assertThat(((RemoteServiceException) error).value()).isEqualTo(outcome.get("str"));
        break;
      default:
        fail("unexpected outcome " + raised);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"a_call_args", "b_call_kwargs", "c_call_rich_types", "d_reply_result", "e1_error_builtin",
      "f_method_not_found", "i_incorrect_signature", "j_malformed_request", "n_no_correlation_id"})
  void serverAnswersNamekosRequestsAsNamekoDoes(String name) throws Exception {
    Map<String, Object> vector = Vectors.load(name);
    Map<String, Object> request = Vectors.messages(vector).get(0);
    Map<String, Object> captured = Vectors.props(request);
    String method = ((String) request.get("routing_key")).substring("echo_py.".length());
    String replyKey = UUID.randomUUID().toString();
    BlockingQueue<RawAmqp.Message> replies = raw.listen(replyKey);

    AMQP.BasicProperties.Builder props = new AMQP.BasicProperties.Builder()
        .contentType((String) captured.get("content_type"))
        .contentEncoding((String) captured.get("content_encoding"))
        .replyTo(replyKey)
        .correlationId((String) captured.get("correlation_id"))
        .deliveryMode((Integer) captured.get("delivery_mode"))
        .priority((Integer) captured.get("priority"));
    if (!Vectors.headers(request).isEmpty()) {
      props.headers(new LinkedHashMap<>(Vectors.headers(request)));
    }
    raw.publish(ECHO + "." + method, props.build(), Base64.getDecoder().decode((String) request.get("body_base64")));

    RawAmqp.Message got = RawAmqp.take(replies, 10);
    Map<String, Object> expectedReply = replyTo(vector, (String) captured.get("reply_to"));
    Map<String, Object> expectedProps = Vectors.props(expectedReply);
    assertThat(got.envelope.getExchange()).isEqualTo("nameko-rpc");
    assertThat(got.props.getContentType()).isEqualTo(expectedProps.get("content_type"));
    assertThat(got.props.getContentEncoding()).isEqualTo(expectedProps.get("content_encoding"));
    assertThat(got.props.getDeliveryMode()).isEqualTo(expectedProps.get("delivery_mode"));
    assertThat(got.props.getPriority()).isEqualTo(expectedProps.get("priority"));
    assertThat(got.props.getHeaders()).isEmpty();
    assertThat(got.props.getReplyTo()).isNull();
    assertThat(got.props.getCorrelationId()).isEqualTo(expectedProps.get("correlation_id") == null ? null : captured.get("correlation_id"));

    Map<?, ?> ours = (Map<?, ?>) parse(got.bodyText());
    Map<?, ?> theirs = (Map<?, ?>) parse(Vectors.body(expectedReply));
    assertThat(List.<Object>copyOf(ours.keySet())).containsExactly("result", "error");
    assertThat(ours.get("result")).isEqualTo(theirs.get("result"));
    if (theirs.get("error") == null) {
      assertThat(ours.get("error")).isNull();
    } else {
      Map<?, ?> ourError = (Map<?, ?>) ours.get("error");
      Map<?, ?> theirError = (Map<?, ?>) theirs.get("error");
      assertThat(List.<Object>copyOf(ourError.keySet())).containsExactly("exc_type", "exc_path", "exc_args", "value");
      assertThat(ourError.get("exc_type")).isEqualTo(theirError.get("exc_type"));
      assertThat(ourError.get("exc_args")).isEqualTo(theirError.get("exc_args"));
      assertThat(ourError.get("value")).isEqualTo(theirError.get("value"));
      if (String.valueOf(theirError.get("exc_path")).startsWith("nameko.")) {
        assertThat(ourError.get("exc_path")).isEqualTo(theirError.get("exc_path"));
      }
    }
  }
}
