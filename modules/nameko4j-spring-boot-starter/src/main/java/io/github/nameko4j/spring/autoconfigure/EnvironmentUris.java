package io.github.nameko4j.spring.autoconfigure;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.springframework.core.env.Environment;

/**
 * Broker and Redis URIs from Spring's own properties ({@code spring.rabbitmq.*}, {@code
 * spring.data.redis.*}), so an application that already talks to RabbitMQ or Redis through
 * Spring configures nothing twice.
 */
final class EnvironmentUris {
  private EnvironmentUris() {}

  /** An AMQP URI from {@code spring.rabbitmq.*}, or null when none of them is set. */
  static String amqp(Environment env) {
    String addresses = env.getProperty("spring.rabbitmq.addresses");
    String host = env.getProperty("spring.rabbitmq.host");
    String port = env.getProperty("spring.rabbitmq.port");
    String user = env.getProperty("spring.rabbitmq.username");
    String password = env.getProperty("spring.rabbitmq.password");
    String vhost = env.getProperty("spring.rabbitmq.virtual-host");
    boolean tls = Boolean.parseBoolean(env.getProperty("spring.rabbitmq.ssl.enabled", "false"));
    if (addresses == null && host == null && port == null && user == null && password == null && vhost == null) {
      return null;
    }
    String scheme = tls ? "amqps://" : "amqp://";
    String credentials = encode(user == null ? "guest" : user) + ":" + encode(password == null ? "guest" : password) + "@";
    String path = "/" + (vhost == null || vhost.equals("/") ? "" : encode(vhost));
    List<String> nodes = new ArrayList<>();
    if (addresses != null && !addresses.isBlank()) {
      for (String address : addresses.split(",")) {
        String a = address.trim().replaceFirst("^amqps?://", "");
        nodes.add(a.contains("@") ? a.substring(a.lastIndexOf('@') + 1) : a);
      }
    } else {
      nodes.add((host == null ? "localhost" : host) + ":" + (port == null ? (tls ? "5671" : "5672") : port));
    }
    List<String> uris = new ArrayList<>();
    for (String node : nodes) {
      uris.add(scheme + credentials + node + path);
    }
    return String.join(";", uris);
  }

  /** A Redis URI from {@code spring.data.redis.*}, or null when none of them is set. */
  static String redis(Environment env) {
    String url = env.getProperty("spring.data.redis.url");
    if (url != null && !url.isBlank()) {
      return url;
    }
    String host = env.getProperty("spring.data.redis.host");
    String port = env.getProperty("spring.data.redis.port");
    String user = env.getProperty("spring.data.redis.username");
    String password = env.getProperty("spring.data.redis.password");
    String database = env.getProperty("spring.data.redis.database");
    boolean tls = Boolean.parseBoolean(env.getProperty("spring.data.redis.ssl.enabled", "false"));
    if (host == null && port == null && password == null && database == null) {
      return null;
    }
    String credentials = password == null ? "" : (user == null ? "" : encode(user)) + ":" + encode(password) + "@";
    return (tls ? "rediss://" : "redis://") + credentials + (host == null ? "localhost" : host) + ":" + (port == null ? "6379" : port)
        + (database == null ? "" : "/" + database);
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
