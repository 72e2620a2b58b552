package io.github.nameko4j.spring.autoconfigure;

import io.github.nameko4j.cachetools.CacheEventListener;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.Caching;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.cachetools.CachingProxyBuilder;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.RpcService;
import io.github.nameko4j.spring.Nameko4jProperties;
import io.github.nameko4j.spring.NamekoConfigurationException;
import java.util.Map;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.SmartFactoryBean;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Creates the client of one {@link RpcService} interface: a caching proxy when its annotations or
 * properties ask for caching, else a plain typed proxy of the shared {@link NamekoRpcClient}.
 */
public class NamekoClientFactoryBean implements SmartFactoryBean<Object>, BeanFactoryAware, EnvironmentAware {
  private final Class<?> api;
  private BeanFactory beanFactory;
  private Environment environment;

  /**
   * @param apiName the interface's class name
   * @throws ClassNotFoundException the interface cannot be loaded
   */
  public NamekoClientFactoryBean(String apiName) throws ClassNotFoundException {
    this.api = ClassUtils.forName(apiName, NamekoClientFactoryBean.class.getClassLoader());
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public Object getObject() {
    NamekoRpcClient client = beanFactory.getBean(NamekoRpcClient.class);
    String service = environment.resolveRequiredPlaceholders(api.getAnnotation(RpcService.class).value());
    Nameko4jProperties properties = beanFactory.getBean(Nameko4jProperties.class);
    try {
      return create(client, service, properties);
    } catch (IllegalArgumentException | IllegalStateException e) {
      String prefix = "nameko4j.cache.services." + service;
      String origin = SettingErrors.originUnder(environment, prefix);
      throw new NamekoConfigurationException(prefix, null, origin != null ? origin : "@Caching on " + api.getName(),
          e.getMessage() + " (client " + api.getName() + " of service " + service + ")",
          "Set " + prefix + ".mode to match the policy (cached fails over after failover-timeout; cache_first answers from the "
              + "cache and never waits for the service), or correct the setting named in the reason, in the properties or in "
              + "@Caching on " + api.getSimpleName() + ".", e);
    }
  }

  private Object create(NamekoRpcClient client, String service, Nameko4jProperties properties) {
    PolicyResolver.Resolved resolved = PolicyResolver.resolve(api, service, properties.getCache());
    if (!resolved.caching()) {
      return client.proxy(api, service);
    }
    CachingProxyBuilder<?> builder = resolved.mode() == Caching.Mode.CACHED
        ? CachedRpcProxy.builder(client) : CacheFirstRpcProxy.builder(client);
    builder.service(service)
        .store(beanFactory.getBean(CacheStore.class))
        .storeTimeout(properties.getCache().getStoreTimeout())
        .ignoringCachingAnnotations();
    for (Map.Entry<String, CachePolicy> e : resolved.policies().entrySet()) {
      builder.policy(e.getKey(), e.getValue());
    }
    beanFactory.getBeanProvider(CacheEventListener.class).orderedStream().forEach(builder::listener);
    Observations.apply(beanFactory, builder);
    return resolved.mode() == Caching.Mode.CACHED
        ? ((CachedRpcProxy.Builder) builder).build(api)
        : ((CacheFirstRpcProxy.Builder) builder).build(api);
  }

  @Override
  public Class<?> getObjectType() {
    return api;
  }

  /**
   * Creates the client while the context starts, even when no bean injects it: a bad policy then
   * stops the application from starting instead of failing the client's first call, after the
   * application already hosts its services.
   */
  @Override
  public boolean isEagerInit() {
    return true;
  }
}
