package io.github.nameko4j.spring.autoconfigure;

import io.github.nameko4j.cachetools.CachingProxyBuilder;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.util.ClassUtils;

/**
 * Gives the application's {@link ObservationRegistry} (Spring Boot's, with Micrometer Tracing and
 * metrics handlers) to everything the starter builds, when there is one: calls, requests handled
 * and caching proxies are then traced and timed. Nothing when micrometer-observation is absent.
 */
final class Observations {
  private static final boolean PRESENT =
      ClassUtils.isPresent("io.micrometer.observation.ObservationRegistry", Observations.class.getClassLoader());

  private Observations() {}

  static void apply(BeanFactory beans, NamekoRpcClient.Builder client) {
    if (PRESENT) {
      WithRegistry.apply(beans, client);
    }
  }

  static void apply(BeanFactory beans, NamekoRpcServer.Builder server) {
    if (PRESENT) {
      WithRegistry.apply(beans, server);
    }
  }

  static void apply(BeanFactory beans, CachingProxyBuilder<?> proxy) {
    if (PRESENT) {
      WithRegistry.apply(beans, proxy);
    }
  }

  /** Loaded only when micrometer-observation is on the class path. */
  private static final class WithRegistry {
    static void apply(BeanFactory beans, NamekoRpcClient.Builder client) {
      beans.getBeanProvider(ObservationRegistry.class).ifUnique(client::observationRegistry);
    }

    static void apply(BeanFactory beans, NamekoRpcServer.Builder server) {
      beans.getBeanProvider(ObservationRegistry.class).ifUnique(server::observationRegistry);
    }

    static void apply(BeanFactory beans, CachingProxyBuilder<?> proxy) {
      beans.getBeanProvider(ObservationRegistry.class).ifUnique(proxy::observationRegistry);
    }
  }
}
