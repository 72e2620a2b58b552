package io.github.nameko4j.spring.autoconfigure;

import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.Caching;
import io.github.nameko4j.cachetools.internal.CachingAnnotations;
import io.github.nameko4j.rpc.internal.TypedProxies;
import io.github.nameko4j.spring.Nameko4jProperties;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The cache policy of each method of a client interface, from its annotations and the
 * properties. Precedence, lowest first: the library's defaults, {@code @Caching} on the
 * interface, {@code @Caching} on the method, {@code nameko4j.cache.services.<service>.defaults},
 * {@code nameko4j.cache.services.<service>.methods.<method>}. Each level replaces only the settings
 * it gives; properties win over annotations, so operators can tune without a rebuild.
 */
final class PolicyResolver {
  private PolicyResolver() {}

  /** A client's mode and per-method policies; {@code caching} false means a plain client. */
  record Resolved(boolean caching, Caching.Mode mode, Map<String, CachePolicy> policies) {}

  static Resolved resolve(Class<?> api, String service, Nameko4jProperties.Cache cache) {
    // Every entry naming the service, however its key was written ([other_service], other-service...).
    List<Nameko4jProperties.ServicePolicies> configured = findAll(cache.getServices(), service);
    Caching onType = api.getAnnotation(Caching.class);
    boolean annotated = onType != null;
    Map<String, CachePolicy> policies = new LinkedHashMap<>();
    String where = "nameko4j.cache.services." + service;
    for (Method m : TypedProxies.rpcMethods(api)) {
      String rpc = TypedProxies.rpcName(m);
      Caching onMethod = m.getAnnotation(Caching.class);
      annotated |= onMethod != null;
      CachePolicy policy = CachePolicy.ofDefaults();
      if (onType != null) {
        policy = CachingAnnotations.apply(policy, onType, api.getSimpleName());
      }
      if (onMethod != null) {
        policy = CachingAnnotations.apply(policy, onMethod, api.getSimpleName() + "." + m.getName(), m);
      }
      for (Nameko4jProperties.ServicePolicies c : configured) {
        policy = apply(policy, c.getDefaults(), where + ".defaults");
      }
      for (Nameko4jProperties.ServicePolicies c : configured) {
        for (Nameko4jProperties.Policy forMethod : findAll(c.getMethods(), rpc)) {
          policy = apply(policy, forMethod, where + ".methods." + rpc);
        }
      }
      policies.put(rpc, policy);
    }
    Caching.Mode mode = configured.stream().map(Nameko4jProperties.ServicePolicies::getMode).filter(Objects::nonNull)
        .findFirst().orElse(onType != null ? onType.mode() : Caching.Mode.UNSPECIFIED);
    if (mode == Caching.Mode.UNSPECIFIED) {
      mode = Caching.Mode.CACHE_FIRST;
    }
    return new Resolved(annotated || !configured.isEmpty(), mode, policies);
  }

  private static CachePolicy apply(CachePolicy base, Nameko4jProperties.Policy p, String where) {
    CachePolicy.Builder b = CachePolicy.from(base);
    try {
      if (p.getTtl() != null) {
        b.ttl(p.getTtl());
      }
      if (p.getStaleWindow() != null) {
        b.staleWindow(p.getStaleWindow());
      }
      if (p.getTtlJitter() != null) {
        b.ttlJitter(p.getTtlJitter());
      }
      if (p.getTtlFromField() != null) {
        b.ttlFromField(p.getTtlFromField());
      }
      if (p.getFailoverTimeout() != null) {
        b.failoverTimeout(p.getFailoverTimeout());
      }
      if (p.getFailSafeThrottle() != null) {
        b.failSafeThrottle(p.getFailSafeThrottle());
      }
      if (p.getRefreshAhead() != null) {
        b.refreshAhead(p.getRefreshAhead());
      }
      if (!p.getVaryOnContext().isEmpty()) {
        b.varyOnContext(p.getVaryOnContext().toArray(new String[0]));
      }
      return b.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  /** The entries for {@code name}, matching keys as Spring may have bound them (case, '-' and '_' ignored). */
  static <T> List<T> findAll(Map<String, T> byName, String name) {
    String loose = loose(name);
    List<T> found = new ArrayList<>();
    for (Map.Entry<String, T> e : byName.entrySet()) {
      if (loose(e.getKey()).equals(loose)) {
        found.add(e.getValue());
      }
    }
    return found;
  }

  /** The first entry for {@code name}, as {@link #findAll}; null if none. */
  static <T> T find(Map<String, T> byName, String name) {
    List<T> all = findAll(byName, name);
    return all.isEmpty() ? null : all.get(0);
  }

  private static String loose(String name) {
    return name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
  }
}
