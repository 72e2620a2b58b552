package io.github.nameko4j.cachetools;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Cache policy on a typed interface: on the interface, for every method; on a method, for that
 * one. Precedence: a method's policy starts as the builder's {@code policy(method, ...)}, or else
 * the builder's default policy with the interface's annotation applied; each setting the method's
 * annotation gives then replaces that setting, the others are kept. Durations are written {@code
 * 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, {@code 0} or in ISO-8601 ({@code PT30S});
 * an empty string keeps the setting as it was. Invalid values, and settings the proxy would ignore
 * (a failover timeout on a CacheFirstRpcProxy), fail when the proxy is built, naming the method
 * and the setting.
 *
 * <pre>{@code
 * @RpcService("other_service")
 * interface OtherService {
 *   @Caching(ttl = "30s", failoverTimeout = "1s")
 *   String doSomething(String request);
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Caching {
  /** Which caching proxy a framework builds for an annotated interface. */
  enum Mode {
    /** Not said here: the builders are chosen in code; the Spring Boot starter takes CACHE_FIRST. */
    UNSPECIFIED,
    /** A {@link CachedRpcProxy}: always ask, fall back to the cache. */
    CACHED,
    /** A {@link CacheFirstRpcProxy}: answer from a fresh entry first. */
    CACHE_FIRST
  }

  /**
   * On an interface, for frameworks that create proxies from annotations (the Spring Boot
   * starter): which proxy to build. The builders ignore it: you chose one by calling it.
   *
   * @return the proxy kind
   */
  Mode mode() default Mode.UNSPECIFIED;

  /** How long a reply is fresh. */
  String ttl() default "";

  /** How much longer than the ttl a reply is kept for failover. */
  String staleWindow() default "";

  /** The most each entry's ttl is made longer by, at random ({@link CachePolicy.Builder#ttlJitter}). */
  String ttlJitter() default "";

  /**
   * A field of the reply (a JSON object) giving its entry's ttl in seconds, 0 meaning do not cache
   * ({@link CachePolicy.Builder#ttlFromField}), e.g. {@code "max_age"}.
   *
   * @return the field name; empty keeps the policy's setting
   */
  String ttlFromField() default "";

  /** CachedRpcProxy: how long to wait for the service when a reply is cached; {@code 0}: no limit. */
  String failoverTimeout() default "";

  /**
   * Tag templates ({@link CacheTags#template}), e.g. {@code "product:{id}"}: a placeholder may also
   * name a parameter of the method (compiled with {@code -parameters}, or named with {@code
   * Kwarg}). Empty keeps the policy's tags.
   *
   * @return the templates
   */
  String[] tags() default {};
}
