package io.github.nameko4j.spring.autoconfigure;

import io.github.nameko4j.rpc.internal.BrokerUri;
import io.github.nameko4j.spring.NamekoConfigurationException;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.OriginLookup;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;

/** Turns a builder's refusal of a setting into a {@link NamekoConfigurationException} naming the property and its origin. */
final class SettingErrors {
  /** Spring's own broker properties the starter reads when {@code nameko4j.amqp.uri} is not set. */
  static final List<String> SPRING_RABBITMQ = List.of("spring.rabbitmq.addresses", "spring.rabbitmq.host", "spring.rabbitmq.port",
      "spring.rabbitmq.username", "spring.rabbitmq.password", "spring.rabbitmq.virtual-host");
  static final List<String> SPRING_REDIS = List.of("spring.data.redis.url", "spring.data.redis.host", "spring.data.redis.port",
      "spring.data.redis.username", "spring.data.redis.password", "spring.data.redis.database");

  private SettingErrors() {}

  /** Runs {@code build}; a refusal becomes a configuration error of {@code property} (or the first of {@code fallbacks} set). */
  static <T> T about(Environment env, String property, List<String> fallbacks, String action, Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException | IllegalStateException e) {
      String named = property;
      if (env.getProperty(property) == null) {
        named = fallbacks.stream().filter(p -> env.getProperty(p) != null).findFirst().orElse(property);
      }
      throw error(env, named, e.getMessage(), action, e);
    }
  }

  static NamekoConfigurationException error(Environment env, String property, String problem, String action, Throwable cause) {
    String raw = env.getProperty(property);
    return new NamekoConfigurationException(property, raw == null ? null : BrokerUri.redact(raw), origin(env, property), problem,
        action, cause);
  }

  /** Where {@code property}'s value came from: a file and line, an environment variable, a property source's name. */
  static String origin(Environment env, String property) {
    if (!(env instanceof ConfigurableEnvironment)) {
      return null;
    }
    for (PropertySource<?> source : ((ConfigurableEnvironment) env).getPropertySources()) {
      if (source.containsProperty(property)) {
        Origin origin = OriginLookup.getOrigin(source, property);
        return origin != null ? origin.toString() : "property source '" + source.getName() + "'";
      }
    }
    return null;
  }

  /**
   * Where the first property under {@code prefix} came from, matched as Spring binds names
   * (case, '-', '_', brackets and dots ignored), with that property's name; or null.
   */
  static String originUnder(Environment env, String prefix) {
    if (!(env instanceof ConfigurableEnvironment)) {
      return null;
    }
    String wanted = loose(prefix);
    for (PropertySource<?> source : ((ConfigurableEnvironment) env).getPropertySources()) {
      if (source instanceof EnumerablePropertySource) {
        for (String name : ((EnumerablePropertySource<?>) source).getPropertyNames()) {
          if (loose(name).startsWith(wanted)) {
            Origin origin = OriginLookup.getOrigin(source, name);
            return (origin != null ? origin.toString() : "property source '" + source.getName() + "'") + " (" + name + ")";
          }
        }
      }
    }
    return null;
  }

  private static String loose(String name) {
    return name.toLowerCase(Locale.ROOT).replaceAll("[\\[\\]._-]", "");
  }
}
