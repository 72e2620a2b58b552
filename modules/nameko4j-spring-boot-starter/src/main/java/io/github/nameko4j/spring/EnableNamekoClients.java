package io.github.nameko4j.spring;

import io.github.nameko4j.spring.autoconfigure.NamekoClientsRegistrar;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.Import;

/**
 * Makes every interface annotated with {@link io.github.nameko4j.rpc.RpcService} under the given
 * packages an injectable client bean. An interface with {@link io.github.nameko4j.cachetools.Caching}
 * on it or its methods, or with cache properties for its service, is served through a caching
 * proxy (the interface-level annotation's {@code mode} picks CachedRpcProxy or CacheFirstRpcProxy,
 * CACHE_FIRST by default); any other through the plain RPC client.
 *
 * <pre>{@code
 * @SpringBootApplication
 * @EnableNamekoClients
 * class Shop { ... }
 *
 * @RpcService("inventory")
 * @Caching(mode = Caching.Mode.CACHED, failoverTimeout = "500ms")
 * interface Inventory {
 *   Map<String, Object> stock(String item);
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Import(NamekoClientsRegistrar.class)
public @interface EnableNamekoClients {
  /**
   * Packages to scan; none (with no {@link #basePackageClasses()}) means the annotated class's package.
   *
   * @return package names
   */
  String[] basePackages() default {};

  /**
   * Classes whose packages to scan.
   *
   * @return marker classes
   */
  Class<?>[] basePackageClasses() default {};
}
