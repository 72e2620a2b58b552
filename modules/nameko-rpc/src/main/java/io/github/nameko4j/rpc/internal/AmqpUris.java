package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.ConnectionFactory;
import io.github.nameko4j.rpc.TransportException;
import java.net.URI;
import java.time.Duration;

/** Connection settings shared by client and server; passwords never leave this class. */
public final class AmqpUris {
  private AmqpUris() {}

  /** The URI with its password replaced by {@code ***}, fit for logs and messages. */
  public static String redact(String uri) {
    if (uri == null) {
      return "null";
    }
    try {
      URI parsed = URI.create(uri);
      String userInfo = parsed.getRawUserInfo();
      if (userInfo == null || !userInfo.contains(":")) {
        return uri;
      }
      String user = userInfo.substring(0, userInfo.indexOf(':'));
      return uri.replace(userInfo + "@", user + ":***@");
    } catch (IllegalArgumentException e) {
      return "<unparseable URI>";
    }
  }

  /** A factory for {@code amqp://} or {@code amqps://} URIs, recovering by itself after outages. */
  public static ConnectionFactory factory(String uri, Duration connectTimeout) {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(uri);
    } catch (Exception e) {
      // The message of the underlying exception may quote the URI, password included.
      throw new IllegalArgumentException("invalid AMQP URI " + redact(uri) + ": " + e.getClass().getSimpleName());
    }
    int millis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
    factory.setConnectionTimeout(millis);
    factory.setHandshakeTimeout(millis);
    factory.setShutdownTimeout(millis);
    factory.setChannelRpcTimeout(millis);
    factory.setAutomaticRecoveryEnabled(true);
    factory.setTopologyRecoveryEnabled(true);
    factory.setNetworkRecoveryInterval(1000);
    factory.setRequestedHeartbeat(30);
    return factory;
  }

  public static TransportException cannotConnect(String uri, Exception cause) {
    return new TransportException(
        "cannot connect to AMQP broker " + redact(uri) + ": " + cause.getClass().getSimpleName()
            + (cause.getMessage() == null ? "" : " " + cause.getMessage().replace(uri, redact(uri))));
  }
}
