package io.github.nameko4j.spring.autoconfigure;

import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.MicrometerCacheMetrics;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.cachetools.redis.RedisStoreMetrics;
import io.github.nameko4j.spring.Nameko4jProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Micrometer meters in the application's registry: the caching clients' (hits, misses,
 * fallbacks, call latencies...) and the Redis store's (circuit state, failures).
 */
@AutoConfiguration(after = Nameko4jAutoConfiguration.class, afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass(MeterRegistry.class)
public class Nameko4jMetricsAutoConfiguration {

  /**
   * A listener every caching client gets; binds the Redis store's meters too.
   *
   * @param registry the application's registry
   * @param store the cache store
   * @param env the environment
   * @param properties the bound properties
   * @return the listener
   */
  @Bean
  @ConditionalOnBean(MeterRegistry.class)
  @ConditionalOnMissingBean(MicrometerCacheMetrics.class)
  public MicrometerCacheMetrics nameko4jCacheMetrics(MeterRegistry registry, ObjectProvider<CacheStore> store, Environment env,
      Nameko4jProperties properties) {
    CacheStore s = store.getIfAvailable();
    if (s instanceof RedisCacheStore) {
      String namespace = properties.getCache().getRedis().getNamespace() != null
          ? properties.getCache().getRedis().getNamespace() : env.getProperty("spring.application.name", "nameko4j");
      RedisStoreMetrics.bind((RedisCacheStore) s, namespace, registry);
    }
    return new MicrometerCacheMetrics(registry);
  }
}
