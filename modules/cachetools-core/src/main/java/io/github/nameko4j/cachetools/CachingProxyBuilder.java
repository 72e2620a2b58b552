package io.github.nameko4j.cachetools;

import io.github.nameko4j.cachetools.internal.CachingAnnotations;
import io.github.nameko4j.cachetools.internal.CacheInstrumentation;
import io.github.nameko4j.cachetools.internal.CacheWorkers;
import io.github.nameko4j.cachetools.internal.CachingInvoker;
import io.github.nameko4j.cachetools.internal.ObservationCacheInstrumentation;
import io.github.nameko4j.cachetools.observation.CacheObservationConvention;
import io.github.nameko4j.cachetools.observation.DefaultCacheObservationConvention;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.RpcService;
import io.github.nameko4j.rpc.internal.Names;
import io.github.nameko4j.rpc.internal.TypedProxies;
import io.micrometer.observation.ObservationRegistry;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Settings shared by {@link CachedRpcProxy.Builder} and {@link CacheFirstRpcProxy.Builder}. Not
 * thread-safe. Every setting is checked when set or at build time, and errors name the setting.
 *
 * @param <B> the concrete builder
 */
public abstract class CachingProxyBuilder<B extends CachingProxyBuilder<B>> {
  /** Default bound on a cache lookup (and lease request) before it counts as a miss. */
  public static final Duration DEFAULT_STORE_TIMEOUT = Duration.ofMillis(250);
  /** Default bound on a cache write the call waits for (with the cross-replica lease) or a delete. */
  public static final Duration DEFAULT_STORE_WRITE_TIMEOUT = Duration.ofSeconds(1);

  final NamekoRpcClient client;
  String service;
  CacheStore store;
  ValueCodec codec;
  CachePolicy defaultPolicy = CachePolicy.ofDefaults();
  final Map<String, CachePolicy> policies = new LinkedHashMap<>();
  Clock clock = Clock.systemUTC();
  ScheduledExecutorService scheduler;
  Duration storeTimeout = DEFAULT_STORE_TIMEOUT;
  Duration storeWriteTimeout = DEFAULT_STORE_WRITE_TIMEOUT;
  Executor executor;
  boolean annotations = true;
  Duration leaseTtl;
  Duration leaseWait;
  final List<CacheEventListener> listeners = new ArrayList<>();
  Set<CacheDirectives.Directive> acceptedDirectives = EnumSet.noneOf(CacheDirectives.Directive.class);
  // Object, not Micrometer types: the builders load without micrometer-observation.
  private Object observationRegistry;
  private Object observationConvention;

  CachingProxyBuilder(NamekoRpcClient client) {
    this.client = Objects.requireNonNull(client, "client must not be null");
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /** The target service. Required for {@code build()}; typed builds may take it from {@link RpcService}. */
  public B service(String service) {
    this.service = Names.require("service", service);
    return self();
  }

  /** Where replies are cached. Default: a new {@link InMemoryCacheStore} for this proxy. The caller keeps ownership. */
  public B store(CacheStore store) {
    this.store = Objects.requireNonNull(store, "store must not be null");
    return self();
  }

  /** How replies are encoded. Default: {@link KryoValueCodec#create()}. */
  public B codec(ValueCodec codec) {
    this.codec = Objects.requireNonNull(codec, "codec must not be null");
    return self();
  }

  /** The policy of every method without its own. Default {@link CachePolicy#ofDefaults()}. */
  public B defaultPolicy(CachePolicy policy) {
    this.defaultPolicy = Objects.requireNonNull(policy, "defaultPolicy must not be null");
    return self();
  }

  /** The policy of one rpc method (its nameko name, e.g. {@code do_something}). */
  public B policy(String method, CachePolicy policy) {
    policies.put(Names.require("policy method", method), Objects.requireNonNull(policy, "policy for " + method + " must not be null"));
    return self();
  }

  /** The clock freshness is judged by. Default the system clock; tests pass a fake one. */
  public B clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock must not be null");
    return self();
  }

  /** Where failover timeouts are scheduled. Default: the RPC client's timer thread. */
  public B scheduler(ScheduledExecutorService scheduler) {
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
    return self();
  }

  /** Hears hits, misses, fallbacks, late replies, store errors and call latencies; may be given several times. */
  public B listener(CacheEventListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
    return self();
  }

  /**
   * Where the proxy's own work runs: decoding entries read from the store, encoding and storing
   * replies, starting RPCs after a remote lookup. Never a store's I/O thread or the RPC client's
   * delivery thread. Default: one small pool shared by every proxy of the JVM ({@code max(2,
   * cores)} daemon threads named {@code nameko4j-cache-N}, ended after 30 s idle). The caller
   * keeps ownership of an executor it gives.
   */
  public B executor(Executor executor) {
    this.executor = Objects.requireNonNull(executor, "executor must not be null");
    return self();
  }

  /**
   * Typed builds ignore {@link Caching} annotations: for frameworks that resolve them with a
   * precedence of their own (the Spring Boot starter lets properties override them) and pass the
   * result as {@link #policy(String, CachePolicy)}.
   *
   * @return this builder
   */
  public B ignoringCachingAnnotations() {
    this.annotations = false;
    return self();
  }

  /**
   * A cache write the call waits for (with the cross-replica lease), a lease release or a delete
   * slower than this is given up (logged; the call goes on). Default 1 s.
   */
  public B storeWriteTimeout(Duration storeWriteTimeout) {
    if (storeWriteTimeout == null || storeWriteTimeout.isNegative() || storeWriteTimeout.isZero()) {
      throw new IllegalArgumentException("storeWriteTimeout must be positive, was " + storeWriteTimeout);
    }
    this.storeWriteTimeout = storeWriteTimeout;
    return self();
  }

  /**
   * Observes every call with Micrometer's Observation API: observation {@code nameko.cache} (see
   * {@link DefaultCacheObservationConvention}), tagged with where the reply came from (hit, miss,
   * service, fallback) and why the cache answered for the service. With a tracing handler it is a
   * span, child of the caller's current one, and the rpc call it makes (if any) is its child, on
   * whatever thread makes it. Off by default. Needs {@code io.micrometer:micrometer-observation}.
   * Give the client the same registry to see the rpc calls too.
   *
   * @param registry the registry the handlers are registered with
   * @return this builder
   */
  public B observationRegistry(ObservationRegistry registry) {
    this.observationRegistry = Objects.requireNonNull(registry, "registry must not be null");
    return self();
  }

  /**
   * Replaces the names and tags of call observations. Needs {@link #observationRegistry}.
   *
   * @param convention the convention
   * @return this builder
   */
  public B observationConvention(CacheObservationConvention convention) {
    this.observationConvention = Objects.requireNonNull(convention, "convention must not be null");
    return self();
  }

  /**
   * Lets callers control this proxy's cache, call by call, with the {@link CacheDirectives} their
   * call carries (context data {@code cache_control}, passed on by nameko from the top of a call
   * chain, Python or Java): only the directives named here are applied, the others ignored. None
   * by default. What each lets any caller who can reach this service do:
   *
   * <ul>
   *   <li>{@code NO_CACHE}: make every call of theirs ask the service and overwrite the entry
   *       (a caller sending it always defeats the cache: the load the cache spares the service
   *       comes back).
   *   <li>{@code NO_STORE}: keep the reply of their call out of the cache.
   *   <li>{@code MAX_AGE}: refuse entries older than they say (a miss: the service is asked).
   *   <li>{@code MAX_STALE}: accept entries past their ttl (CacheFirstRpcProxy), within what the
   *       stale window keeps; invalidated entries never answer.
   * </ul>
   *
   * @param directives the directives to apply; none to apply none
   * @return this builder
   */
  public B acceptCacheControl(CacheDirectives.Directive... directives) {
    EnumSet<CacheDirectives.Directive> accepted = EnumSet.noneOf(CacheDirectives.Directive.class);
    for (CacheDirectives.Directive d : directives) {
      accepted.add(Objects.requireNonNull(d, "directives must not contain null"));
    }
    this.acceptedDirectives = accepted;
    return self();
  }

  /** A cache lookup or lease request slower than this counts as a miss (or a granted lease). Default 250 ms. */
  public B storeTimeout(Duration storeTimeout) {
    if (storeTimeout == null || storeTimeout.isNegative() || storeTimeout.isZero()) {
      throw new IllegalArgumentException("storeTimeout must be positive, was " + storeTimeout);
    }
    this.storeTimeout = storeTimeout;
    return self();
  }

  CachingInvoker invoker(CachingInvoker.Mode mode, String serviceName, Map<String, CachePolicy> methodPolicies) {
    if (serviceName == null) {
      throw new IllegalStateException("service must be set: call service(name) before build()");
    }
    if (observationConvention != null && observationRegistry == null) {
      throw new IllegalStateException("observationConvention needs an observationRegistry: without one nothing is observed");
    }
    checkOptionsApply(mode, "default policy", defaultPolicy);
    methodPolicies.forEach((method, policy) -> checkOptionsApply(mode, "policy of " + method, policy));
    return new CachingInvoker(new CachingInvoker.Settings(mode, client, serviceName,
        store != null ? store : InMemoryCacheStore.create(),
        codec != null ? codec : KryoValueCodec.create(),
        defaultPolicy, methodPolicies, clock,
        scheduler != null ? scheduler : client.scheduler(),
        executor != null ? executor : CacheWorkers.shared(),
        storeTimeout, storeWriteTimeout, leaseTtl, leaseWait, composite(listeners), acceptedDirectives,
        observationRegistry == null ? CacheInstrumentation.NONE
            : ObservationCacheInstrumentation.of(observationRegistry, observationConvention)));
  }

  /** An option the proxy would silently ignore is a mistake: say so at build time. */
  private static void checkOptionsApply(CachingInvoker.Mode mode, String which, CachePolicy policy) {
    if (mode == CachingInvoker.Mode.CACHE_FIRST) {
      if (!policy.failoverTimeout().isZero()) {
        throw new IllegalStateException(which + ": failoverTimeout does nothing on a CacheFirstRpcProxy (it answers from a"
            + " fresh entry or waits for the service); use a CachedRpcProxy for failover");
      }
      if (!policy.failSafeThrottle().isZero()) {
        throw new IllegalStateException(which + ": failSafeThrottle does nothing on a CacheFirstRpcProxy; it is a CachedRpcProxy option");
      }
    } else if (policy.refreshAhead() > 0) {
      throw new IllegalStateException(which + ": refreshAhead does nothing on a CachedRpcProxy (it asks the service on"
          + " every call); it is a CacheFirstRpcProxy option");
    }
  }

  private static CacheEventListener composite(List<CacheEventListener> all) {
    if (all.isEmpty()) {
      return null;
    }
    if (all.size() == 1) {
      return all.get(0);
    }
    List<CacheEventListener> copy = List.copyOf(all);
    return (CacheEventListener) Proxy.newProxyInstance(CacheEventListener.class.getClassLoader(),
        new Class<?>[] {CacheEventListener.class}, (proxy, method, args) -> {
          if (method.getDeclaringClass() == Object.class) {
            return method.getName().equals("toString") ? copy.toString() : method.invoke(copy, args);
          }
          for (CacheEventListener l : copy) {
            method.invoke(l, args);
          }
          return null;
        });
  }

  CachingInvoker untypedInvoker(CachingInvoker.Mode mode) {
    return invoker(mode, service, policies);
  }

  /**
   * A typed proxy: service from the builder or {@link RpcService}. A method's policy is the
   * builder's {@code policy(method, ...)} or else its default policy, with the settings a {@link
   * Caching} annotation on the method names replacing those of that policy, one by one.
   */
  <T> T typed(CachingInvoker.Mode mode, Class<T> api) {
    Objects.requireNonNull(api, "api must not be null");
    String name = service;
    if (name == null) {
      RpcService annotation = api.getAnnotation(RpcService.class);
      if (annotation == null) {
        throw new IllegalStateException("service must be set: call service(name) or annotate " + api.getName() + " with @RpcService");
      }
      name = Names.require("@RpcService on " + api.getName(), annotation.value());
    }
    Map<String, CachePolicy> methodPolicies = new HashMap<>();
    Set<String> known = new TreeSet<>();
    Caching onType = annotations ? api.getAnnotation(Caching.class) : null;
    CachePolicy typeDefault = onType == null ? defaultPolicy : CachingAnnotations.apply(defaultPolicy, onType, api.getSimpleName());
    for (Method m : TypedProxies.rpcMethods(api)) {
      String rpc = TypedProxies.rpcName(m);
      known.add(rpc);
      CachePolicy base = policies.getOrDefault(rpc, typeDefault);
      Caching caching = annotations ? m.getAnnotation(Caching.class) : null;
      methodPolicies.put(rpc, caching == null ? base : CachingAnnotations.apply(base, caching, api.getSimpleName() + "." + m.getName(), m));
    }
    for (String configured : policies.keySet()) {
      if (!known.contains(configured)) {
        throw new IllegalArgumentException("policy for unknown method '" + configured + "': " + api.getName() + " has " + known);
      }
    }
    CachingInvoker invoker = invoker(mode, name, methodPolicies);
    return TypedProxies.create(api, name, new TypedProxies.Invoker() {
      @Override
      public CompletableFuture<Object> invoke(String svc, String method, List<?> args, Map<String, ?> kwargs) {
        return invoker.invoke(method, args, kwargs);
      }

      @Override
      public CompletableFuture<Object> invoke(String svc, String method, List<?> args, Map<String, ?> kwargs, Type resultType) {
        // A method declared to return CachedReply says where its reply came from.
        return resultType == CachedReply.class
            ? invoker.invokeDetailed(method, args, kwargs).thenApply(reply -> reply)
            : invoker.invoke(method, args, kwargs);
      }

      @Override
      public CompletableFuture<Object> forAsyncCaller(CompletableFuture<Object> result) {
        return invoker.forAsyncCaller(result);
      }
    }, CacheControl.class, control(invoker));
  }

  static CacheControl control(CachingInvoker invoker) {
    return new CacheControl() {
      @Override
      public CompletableFuture<Void> invalidate(String method, List<?> args, Map<String, ?> kwargs) {
        return invoker.invalidateKey(invoker.keyOf(method, args, kwargs));
      }

      @Override
      public CompletableFuture<Void> invalidateMethod(String method) {
        return invoker.invalidateMethod(method);
      }

      @Override
      public CompletableFuture<Void> invalidateAll() {
        return invoker.invalidateService();
      }

      @Override
      public CompletableFuture<Void> invalidateTag(String tag) {
        return invoker.invalidateTag(tag);
      }

      @Override
      public boolean invalidatesEveryReplica() {
        return invoker.invalidatesEveryReplica();
      }
    };
  }
}
