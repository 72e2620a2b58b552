package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Address;
import io.github.nameko4j.rpc.internal.BrokerUri;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class BrokerUriTest {

  @ParameterizedTest
  @ValueSource(strings = {"@", "#", "/", "?"})
  void aPasswordWithAnUnencodedUriCharacterIsRefusedWithoutShowingIt(String c) {
    String uri = "amqp://guest:s3cr" + c + "tpass@broker.example:5672";
    assertThatThrownBy(() -> BrokerUri.parse(uri))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("percent-encoded")
        .hasMessageNotContaining("s3cr")
        .hasMessageNotContaining("tpass");
    assertThatThrownBy(() -> NamekoRpcClient.builder().uri(uri)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NamekoRpcServer.builder().uri(uri)).isInstanceOf(IllegalArgumentException.class);
    assertThat(BrokerUri.redact(uri)).isEqualTo("amqp://guest:***@broker.example:5672").doesNotContain("s3cr");
  }

  @ParameterizedTest
  @ValueSource(strings = {"%40", "%23", "%2F", "%3F", "%3A", "%25", ";", "+"})
  void aPercentEncodedPasswordIsDecoded(String encoded) {
    BrokerUri uri = BrokerUri.parse("amqp://guest:a" + encoded + "b@broker.example:5672/");
    assertThat(uri.username()).isEqualTo("guest");
    assertThat(uri.toString()).isEqualTo("amqp://guest:***@broker.example:5672/");
    assertThat(uri.addresses()).containsExactly(new Address("broker.example", 5672));
  }

  @Test
  void anAtSignInThePasswordIsNamedAsSuchNotAsAMissingHost() {
    assertThatThrownBy(() -> BrokerUri.parse("amqp://guest:p@ss@broker.example:5672/"))
        .hasMessage("invalid AMQP URI amqp://guest:***@broker.example:5672/: the user name or password holds an '@', "
            + "which must be percent-encoded as %40");
  }

  @Test
  void aPortBeyond65535IsRefused() {
    assertThatThrownBy(() -> BrokerUri.parse("amqp://guest:guest@broker.example:99999"))
        .hasMessageContaining("port 99999 is not between 1 and 65535");
  }

  @Test
  void aUriWithoutAHostIsRefusedAtBuildTime() {
    for (String uri : new String[] {"amqp://", "amqp:///vhost", "amqp://guest:guest@:5672/", "localhost:5672", "redis://localhost"}) {
      assertThatThrownBy(() -> BrokerUri.parse(uri)).as(uri).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid AMQP URI");
    }
  }

  @Test
  void namekoSchemesVirtualHostsAndDefaultsReadAsKombuReadsThem() {
    BrokerUri py = BrokerUri.parse("pyamqp://guest:guest@rabbit");
    assertThat(py.tls()).isFalse();
    assertThat(py.addresses()).containsExactly(new Address("rabbit", 5672));
    assertThat(py.virtualHost()).isEqualTo("/");
    assertThat(BrokerUri.parse("amqp://guest:guest@rabbit:5672/").virtualHost()).isEqualTo("/");
    assertThat(BrokerUri.parse("amqp://guest:guest@rabbit:5672//").virtualHost()).isEqualTo("/");
    assertThat(BrokerUri.parse("amqp://guest:guest@rabbit:5672/%2F").virtualHost()).isEqualTo("/");
    assertThat(BrokerUri.parse("amqp://guest:guest@rabbit:5672/shop").virtualHost()).isEqualTo("shop");
    assertThat(BrokerUri.parse("amqp://rabbit?heartbeat=30").username()).isEqualTo("guest");
    BrokerUri tls = BrokerUri.parse("amqps://u:p@rabbit");
    assertThat(tls.tls()).isTrue();
    assertThat(tls.addresses()).containsExactly(new Address("rabbit", 5671));
  }

  @Test
  void severalNodesSeparatedBySemicolonsAreOneClusterWithOneSetOfCredentials() {
    BrokerUri cluster = BrokerUri.parse("amqp://u:p@a:5672; amqp://u:p@b:5673");
    assertThat(cluster.addresses()).containsExactly(new Address("a", 5672), new Address("b", 5673));
    assertThat(cluster.toString()).isEqualTo("amqp://u:***@a:5672; amqp://u:***@b:5673");
    assertThatThrownBy(() -> BrokerUri.parse("amqp://u:p@a;amqp://other:secret@b"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("disagree").hasMessageNotContaining("secret");
  }

  @Test
  void redactionHidesAnyPasswordEvenInTextThatIsNoUri() {
    assertThat(BrokerUri.redact("amqp://guest:p@ss:w@rd@host/vh")).isEqualTo("amqp://guest:***@host/vh");
    assertThat(BrokerUri.redact("amqp://host")).isEqualTo("amqp://host");
    assertThat(BrokerUri.redact("guest:secret@host")).doesNotContain("secret");
    assertThat(BrokerUri.redact(null)).isEqualTo("null");
  }
}
