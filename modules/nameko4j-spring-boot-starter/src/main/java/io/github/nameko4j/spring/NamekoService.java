package io.github.nameko4j.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.core.annotation.AliasFor;
import org.springframework.stereotype.Component;

/**
 * A Spring bean hosted as a nameko service: its public {@link io.github.nameko4j.rpc.Rpc}
 * methods are served once the application is ready, and on shutdown the service stops taking
 * requests and lets running ones finish within Spring's graceful-shutdown phase.
 *
 * <pre>{@code
 * @NamekoService("greeter")
 * class Greeter {
 *   @Rpc public String hello(String name) { return "hello " + name; }
 * }
 * }</pre>
 *
 * <p>A {@link Component} named after the service: component scanning registers it. The service's methods may run on
 * several threads at once ({@link #maxWorkers()}): the bean must be thread-safe.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Component
public @interface NamekoService {
  /**
   * The service's nameko name; {@code ${...}} placeholders are resolved from the environment.
   * Also the bean's name.
   *
   * @return e.g. {@code greeter}
   */
  @AliasFor(annotation = Component.class)
  String value();

  /**
   * Requests run at once, and the prefetch (nameko's {@code max_workers}). Zero (the default)
   * takes {@code nameko4j.server.services.<name>.max-workers}, else {@code nameko4j.server.max-workers};
   * a property for the service overrides this value.
   *
   * @return at least 1, or 0 for the configured default
   */
  int maxWorkers() default 0;
}
