package io.github.nameko4j.spring.autoconfigure;

import com.rabbitmq.client.impl.ClientVersion;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.InMemoryCacheStore;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.BrokerSettings;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.internal.BrokerUri;
import io.github.nameko4j.rpc.internal.ClientLibraries;
import io.github.nameko4j.spring.Nameko4jProperties;
import io.github.nameko4j.spring.NamekoConfigurationException;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.DependsOn;
import org.springframework.core.env.Environment;

/**
 * nameko4j for Spring Boot: one {@link NamekoRpcClient}, one {@link CacheStore}, the hosting of
 * {@link io.github.nameko4j.spring.NamekoService} beans, and, when the application has them,
 * Micrometer metrics and Actuator health. Every bean backs off when the application defines its
 * own of that type.
 *
 * <p>Shutdown order: hosted services stop taking requests and finish running ones first (a
 * lifecycle phase, see {@link NamekoServiceHost}); then the RPC client closes; then the store.
 */
@AutoConfiguration
@ConditionalOnClass(NamekoRpcClient.class)
@EnableConfigurationProperties(Nameko4jProperties.class)
public class Nameko4jAutoConfiguration {
  /** Bean name of the store, which the client is declared to depend on so that it closes first. */
  public static final String STORE_BEAN = "nameko4jCacheStore";

  /** The broker URI in use: {@code nameko4j.amqp.uri}, else {@code spring.rabbitmq.*}, else localhost. */
  static String amqpUri(Nameko4jProperties properties, Environment env) {
    String uri = properties.getAmqp().getUri();
    if (uri != null && !uri.isBlank()) {
      return uri;
    }
    String fromSpring = EnvironmentUris.amqp(env);
    return fromSpring != null ? fromSpring : "amqp://guest:guest@localhost:5672";
  }

  /**
   * The broker settings every client and hosted service uses; a URI or setting the library
   * refuses stops the application naming the property and where its value came from.
   */
  static BrokerSettings brokerSettings(Nameko4jProperties properties, Environment env) {
    try {
      ClientLibraries.requireAmqpClient();
    } catch (IllegalStateException e) {
      throw new NamekoConfigurationException("com.rabbitmq:amqp-client (the class path)", ClientVersion.VERSION, null, e.getMessage(),
          "Import io.github.nameko4j:nameko4j-bom before org.springframework.boot:spring-boot-dependencies in "
              + "<dependencyManagement> (the first import of an artifact wins), or set <rabbit-amqp-client.version>"
              + ClientLibraries.MINIMUM_AMQP_CLIENT + "</rabbit-amqp-client.version> with Spring Boot's parent.", e);
    }
    String uri = amqpUri(properties, env);
    SettingErrors.about(env, "nameko4j.amqp.uri", SettingErrors.SPRING_RABBITMQ,
        "Correct the broker URI: amqp://user:password@host:5672/vhost, nodes of a cluster separated by ';', characters such as "
            + "@ / ? # in the user name or password percent-encoded (@ as %40).", () -> BrokerUri.parse(uri));
    return SettingErrors.about(env, "nameko4j.amqp", List.of(), "Correct the nameko4j.amqp.* setting named in the reason.",
        () -> properties.getAmqp().toSettings(uri));
  }

  /**
   * The store: Redis when {@code nameko4j.cache.redis.uri} (or {@code spring.data.redis.*}) says
   * where, in process otherwise; see {@code nameko4j.cache.store}.
   *
   * @param properties the bound properties
   * @param env the environment
   * @return the store, closed with the context
   */
  @Bean(name = STORE_BEAN, destroyMethod = "close")
  @ConditionalOnMissingBean(CacheStore.class)
  public CacheStore nameko4jCacheStore(Nameko4jProperties properties, Environment env) {
    Nameko4jProperties.Redis redis = properties.getCache().getRedis();
    String uri = redis.getUri() != null && !redis.getUri().isBlank() ? redis.getUri() : EnvironmentUris.redis(env);
    Nameko4jProperties.StoreKind kind = properties.getCache().getStore();
    if (kind == Nameko4jProperties.StoreKind.IN_MEMORY || (kind == Nameko4jProperties.StoreKind.AUTO && uri == null)) {
      return InMemoryCacheStore.create();
    }
    if (uri == null) {
      throw SettingErrors.error(env, "nameko4j.cache.store", "the Redis store needs to know where Redis is",
          "Set nameko4j.cache.redis.uri (or spring.data.redis.*), or nameko4j.cache.store=auto to cache in process without it.", null);
    }
    String namespace = redis.getNamespace() != null ? redis.getNamespace() : env.getProperty("spring.application.name", "nameko4j");
    RedisCacheStore.Builder b = SettingErrors.about(env, "nameko4j.cache.redis.uri", SettingErrors.SPRING_REDIS,
        "Correct the Redis URI: redis://[:password@]host:6379[/database], rediss:// for TLS; a password's special characters "
            + "percent-encoded.", () -> RedisCacheStore.builder(namespace).uri(uri));
    return SettingErrors.about(env, "nameko4j.cache.redis", List.of(), "Correct the nameko4j.cache.redis.* setting named in the reason.",
        () -> {
          b.commandTimeout(redis.getCommandTimeout())
              .readBudget(redis.getReadBudget())
              .maxReadBudget(redis.getMaxReadBudget())
              .maxEntryLifetime(redis.getMaxEntryLifetime());
          if (redis.getNearCacheMaxEntries() > 0) {
            b.nearCache(redis.getNearCacheMaxEntries(), redis.getNearCacheMaxAge());
          }
          return b.build();
        });
  }

  /**
   * The RPC client every injected client shares; traced and timed with the application's {@code
   * ObservationRegistry} when there is one.
   *
   * @param properties the bound properties
   * @param env the environment
   * @param beans where to find an {@code ObservationRegistry}
   * @return the client, closed with the context (before the store)
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(NamekoRpcClient.class)
  @DependsOn(STORE_BEAN)
  public NamekoRpcClient nameko4jRpcClient(Nameko4jProperties properties, Environment env, BeanFactory beans) {
    Nameko4jProperties.Client c = properties.getClient();
    NamekoRpcClient.Builder b = NamekoRpcClient.builder()
        .broker(brokerSettings(properties, env))
        .callTimeout(c.getCallTimeout());
    String caller = c.getCallerName() != null ? c.getCallerName() : env.getProperty("spring.application.name");
    if (caller != null && !caller.isBlank()) {
      b.callerName(caller);
    }
    for (Map.Entry<String, String> e : c.getContextData().entrySet()) {
      b.contextData(e.getKey(), e.getValue());
    }
    Observations.apply(beans, b);
    return b.build();
  }

  /**
   * Hosts the application's {@code @NamekoService} beans.
   *
   * @param context the application context
   * @param properties the bound properties
   * @param env the environment
   * @return the host lifecycle
   */
  @Bean
  @ConditionalOnMissingBean(NamekoServiceHost.class)
  public NamekoServiceHost nameko4jServiceHost(ApplicationContext context, Nameko4jProperties properties, Environment env) {
    return new NamekoServiceHost(context, env, properties, brokerSettings(properties, env));
  }
}
