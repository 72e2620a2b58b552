package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The foreign requests of behaviour_probes.json. Where Python nameko drops the request (caller
 * hangs) or dies (poison message), our server answers with an error and keeps serving.
 */
@ExtendWith(TestServicesExtension.class)
class ServerRobustnessIT {
  private static final String SERVICE = "poison_java_" + UUID.randomUUID().toString().substring(0, 8);
  private static NamekoRpcServer server;
  private static NamekoRpcClient client;
  private static RawAmqp raw;
  private static String replyKey;
  private static BlockingQueue<RawAmqp.Message> replies;

  @BeforeAll
  static void start(TestServices services) throws Exception {
    server = NamekoRpcServer.builder().uri(services.amqpUri()).service(SERVICE, new EchoService()).maxWorkers(2).start();
    client = NamekoRpcClient.builder().uri(services.amqpUri()).callTimeout(Duration.ofSeconds(10)).build();
    raw = new RawAmqp(services.amqpUri());
    raw.deleteLater("rpc-" + SERVICE);
    replyKey = UUID.randomUUID().toString();
    replies = raw.listen(replyKey);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    client.close();
    raw.close();
  }

  private static String send(String contentType, String encoding, String replyTo, byte[] body) throws Exception {
    return send("echo", contentType, encoding, replyTo, body);
  }

  private static String send(String method, String contentType, String encoding, String replyTo, byte[] body) throws Exception {
    String correlationId = UUID.randomUUID().toString();
    AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
        .contentType(contentType).contentEncoding(encoding).replyTo(replyTo).correlationId(correlationId).build();
    raw.publish(SERVICE + "." + method, props, body);
    if (replyTo == null) {
      return null;
    }
    RawAmqp.Message reply = RawAmqp.take(replies, 10);
    assertThat(reply.props.getCorrelationId()).isEqualTo(correlationId);
    return reply.bodyText();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void wrongOrMissingContentTypeGetsAMalformedRequestReply() throws Exception {
    for (String type : new String[] {"text/plain", null}) {
      assertThat(send(type, null, replyKey, utf8("{\"args\": [\"x\"], \"kwargs\": {}}")))
          .contains("\"exc_path\":\"nameko.exceptions.MalformedRequest\"")
          .contains("Unsupported content type");
    }
    // a charset parameter is still JSON: answered normally
    assertThat(send("application/json; charset=utf-8", null, replyKey, utf8("{\"args\": [\"x\"], \"kwargs\": {}}")))
        .isEqualTo("{\"result\":\"x\",\"error\":null}");
  }

  @Test
  void invalidJsonOrANonObjectBodyGetsAMalformedRequestReply() throws Exception {
    assertThat(send("application/json", null, replyKey, utf8("{\"args\": [\"x\"], \"kwargs\": ")))
        .contains("MalformedRequest").contains("not valid JSON");
    assertThat(send("application/json", null, replyKey, utf8("[\"x\"]")))
        .contains("MalformedRequest").contains("not a JSON object");
  }

  @Test
  void argsThatAreNotAListGetAnIncorrectSignatureReply() throws Exception {
    assertThat(send("application/json", null, replyKey, utf8("{\"args\": \"xy\", \"kwargs\": {}}")))
        .contains("\"exc_path\":\"nameko.exceptions.IncorrectSignature\"");
  }

  @Test
  void latin1BodiesAndNanArgumentsAreReadAsNamekoReadsThem() throws Exception {
    assertThat(send("application/json", "latin-1", replyKey, "{\"args\": [\"café\"], \"kwargs\": {}}".getBytes(StandardCharsets.ISO_8859_1)))
        .isEqualTo("{\"result\":\"caf\\u00E9\",\"error\":null}");
    assertThat(send("application/json", null, replyKey, utf8("{\"args\": [NaN], \"kwargs\": {}}")))
        .isEqualTo("{\"result\":NaN,\"error\":null}");
  }

  @Test
  void aRequestWithoutReplyToRunsWithoutKillingTheService() throws Exception {
    send("application/json", null, null, utf8("{\"args\": [\"x\"], \"kwargs\": {}}"));
    assertThat(client.call(SERVICE, "echo", "still alive")).isEqualTo("still alive");
  }

  @Test
  void aHugeBodyIsAnsweredAndTheServiceGoesOn() throws Exception {
    String big = "x".repeat(4 * 1024 * 1024);
    String reply = send("application/json", null, replyKey, utf8("{\"args\": [\"" + big + "\"], \"kwargs\": {}}"));
    assertThat(reply).hasSize(big.length() + "{\"result\":\"\",\"error\":null}".length());
    assertThat(client.call(SERVICE, "echo", 1)).isEqualTo(1);
  }

  @Test
  void aDecimalBombIsRefusedAndTheServiceKeepsAnswering() throws Exception {
    // 78 bytes that decode to 1E+140000000: written back in plain notation, a 140 MB reply that
    // the broker refuses, which used to close the service's channel for good.
    String bomb = "{\"args\": [{\"__type__\": \"decimal\", \"__value__\": \"1E+140000000\"}], \"kwargs\": {}}";
    assertThat(send("application/json", null, replyKey, utf8(bomb)))
        .contains("\"exc_path\":\"nameko.exceptions.MalformedRequest\"").contains("decimal exponent out of range");
    assertThat(client.call(SERVICE, "echo", "still answering")).isEqualTo("still answering");
    // Ordinary decimals go and come back as kombu writes them (Python's str(Decimal)).
    String fine = "{\"args\": [{\"__type__\": \"decimal\", \"__value__\": \"1E+30\"}], \"kwargs\": {}}";
    assertThat(send("application/json", null, replyKey, utf8(fine))).isEqualTo("{\"result\":\"1E+30\",\"error\":null}");
  }

  @Test
  void aDecimalBombSentAsAPlainStringIsRefusedBeforeTheMethodRuns() throws Exception {
    // Older kombu sends a Decimal as a plain string: the parameter's type makes it a BigDecimal,
    // and setScale(2) of 1E+10000000 used to run for tens of seconds per request.
    for (String bomb : new String[] {"1E+10000000", "1E+100000000", "-1e-10000000"}) {
      assertThat(send("cents", "application/json", null, replyKey, utf8("{\"args\": [\"" + bomb + "\"], \"kwargs\": {}}")))
          .contains("\"exc_path\":\"nameko.exceptions.IncorrectSignature\"").contains("decimal exponent out of range");
    }
    // as a kwarg, and as a JSON number too
    assertThat(send("cents", "application/json", null, replyKey, utf8("{\"args\": [], \"kwargs\": {\"amount\": \"1E+10000000\"}}")))
        .contains("decimal exponent out of range");
    assertThat(send("cents", "application/json", null, replyKey, utf8("{\"args\": [\"12.345\"], \"kwargs\": {}}")))
        .isEqualTo("{\"result\":\"12.35\",\"error\":null}");
    assertThat(send("cents", "application/json", null, replyKey, utf8("{\"args\": [1E+30], \"kwargs\": {}}")))
        .isEqualTo("{\"result\":\"1000000000000000000000000000000.00\",\"error\":null}");
  }

  @Test
  void integersAreReadUpToPythonsOwnLimitOfDigits() throws Exception {
    String limit = "9".repeat(4300);
    assertThat(send("application/json", null, replyKey, utf8("{\"args\": [" + limit + "], \"kwargs\": {}}")))
        .isEqualTo("{\"result\":" + limit + ",\"error\":null}");
    assertThat(send("application/json", null, replyKey, utf8("{\"args\": [" + limit + "9], \"kwargs\": {}}")))
        .contains("MalformedRequest").contains("4300");
    assertThat(client.call(SERVICE, "echo", 1)).isEqualTo(1);
  }
}
