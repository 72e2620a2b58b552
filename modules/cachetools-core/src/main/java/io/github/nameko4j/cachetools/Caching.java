package io.github.nameko4j.cachetools;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Per-method cache policy on a typed interface. Precedence: the method's policy starts as the
 * builder's {@code policy(method, ...)}, or else the builder's default policy; each setting this
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
@Target(ElementType.METHOD)
public @interface Caching {
  /** How long a reply is fresh. */
  String ttl() default "";

  /** How much longer than the ttl a reply is kept for failover. */
  String staleWindow() default "";

  /** CachedRpcProxy: how long to wait for the service when a reply is cached; {@code 0}: no limit. */
  String failoverTimeout() default "";
}
