package io.github.nameko4j.spring.autoconfigure;

import io.github.nameko4j.rpc.RpcService;
import io.github.nameko4j.spring.EnableNamekoClients;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.springframework.beans.factory.FactoryBean;
import org.springframework.beans.factory.annotation.AnnotatedBeanDefinition;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionBuilder;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.ResourceLoaderAware;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.util.ClassUtils;

/**
 * Registers a {@link NamekoClientFactoryBean} for every {@link RpcService} interface in the
 * packages {@link EnableNamekoClients} names. Public only because the annotation imports it.
 */
public class NamekoClientsRegistrar implements ImportBeanDefinitionRegistrar, EnvironmentAware, ResourceLoaderAware {
  private Environment environment;
  private ResourceLoader resourceLoader;

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public void setResourceLoader(ResourceLoader resourceLoader) {
    this.resourceLoader = resourceLoader;
  }

  @Override
  public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
    Map<String, Object> attributes = metadata.getAnnotationAttributes(EnableNamekoClients.class.getName());
    Set<String> packages = new LinkedHashSet<>();
    if (attributes != null) {
      for (String p : (String[]) attributes.get("basePackages")) {
        packages.add(p);
      }
      for (Class<?> c : (Class<?>[]) attributes.get("basePackageClasses")) {
        packages.add(ClassUtils.getPackageName(c));
      }
    }
    if (packages.isEmpty()) {
      packages.add(ClassUtils.getPackageName(metadata.getClassName()));
    }
    ClassPathScanningCandidateComponentProvider scanner = new ClassPathScanningCandidateComponentProvider(false, environment) {
      @Override
      protected boolean isCandidateComponent(AnnotatedBeanDefinition definition) {
        return definition.getMetadata().isInterface() && definition.getMetadata().isIndependent();
      }
    };
    scanner.setResourceLoader(resourceLoader);
    scanner.addIncludeFilter(new AnnotationTypeFilter(RpcService.class, false, true));
    for (String p : packages) {
      for (BeanDefinition candidate : scanner.findCandidateComponents(p)) {
        String api = candidate.getBeanClassName();
        AbstractBeanDefinition definition = BeanDefinitionBuilder.genericBeanDefinition(NamekoClientFactoryBean.class)
            .addConstructorArgValue(api)
            .getBeanDefinition();
        // So that injection by the interface's type finds the bean before it is created.
        definition.setAttribute(FactoryBean.OBJECT_TYPE_ATTRIBUTE, ClassUtils.resolveClassName(api, resourceLoader.getClassLoader()));
        registry.registerBeanDefinition(api, definition);
      }
    }
  }
}
