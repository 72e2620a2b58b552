package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CacheDirectives;
import io.github.nameko4j.cachetools.CacheEventListener;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.ValueCodec;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.RpcContext;
import io.github.nameko4j.rpc.internal.Headers;
import io.github.nameko4j.rpc.internal.Names;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The engine behind both proxies: derives the key, captures the caller's context, and hands the
 * call to the proxy's strategy ({@link CachedStrategy} or {@link CacheFirstStrategy}). Thread-safe.
 *
 * <p>Store trouble (errors, slowness, undecodable entries) is a miss, logged and never thrown: a
 * cache problem must not break a call the service could answer.
 */
public final class CachingInvoker {

  /** The two strategies of the original. */
  public enum Mode { CACHED, CACHE_FIRST }

  /** Everything an invoker is built from; the builders check each setting. */
  public record Settings(Mode mode, NamekoRpcClient client, String service, CacheStore store, ValueCodec codec,
      CachePolicy defaultPolicy, Map<String, CachePolicy> policies, Clock clock, ScheduledExecutorService scheduler,
      Executor executor, Duration storeTimeout, Duration storeWriteTimeout, Duration leaseTtl, Duration leaseWait,
      CacheEventListener listener, Set<CacheDirectives.Directive> acceptedDirectives, CacheInstrumentation instrumentation) {}

  private final Mode mode;
  private final NamekoRpcClient client;
  private final String service;
  private final CachePolicy defaultPolicy;
  private final Map<String, CachePolicy> policies;
  private final String keyPrefix;
  private final StoreAccess store;
  private final CachedStrategy cached;
  private final CacheFirstStrategy cacheFirst;
  private final CacheInstrumentation instrumentation;
  private final KeyMemo memo = new KeyMemo(10_000);
  private final Executor executor;
  private final Set<CacheDirectives.Directive> acceptedDirectives;
  private final SafeListener events;
  private volatile boolean closed;

  public CachingInvoker(Settings s) {
    this.mode = s.mode();
    this.executor = s.executor();
    this.instrumentation = s.instrumentation();
    this.client = s.client();
    this.service = s.service();
    this.defaultPolicy = s.defaultPolicy();
    this.policies = Map.copyOf(s.policies());
    // The codec's id leads every key: a deploy whose codec or registrations changed reads no old entries.
    this.keyPrefix = s.codec().id() + ":";
    this.acceptedDirectives = Set.copyOf(s.acceptedDirectives());
    SafeListener events = new SafeListener(s.listener());
    this.events = events;
    this.store = new StoreAccess(service, s.store(), s.codec(), s.executor(), s.scheduler(), s.storeTimeout(),
        s.storeWriteTimeout(), events, s.clock());
    ServiceCall rpc = new ServiceCall(client, service, events);
    this.cached = mode == Mode.CACHED
        ? new CachedStrategy(service, rpc, store, s.executor(), s.scheduler(), events, new FailSafeThrottle(s.clock()))
        : null;
    this.cacheFirst = mode == Mode.CACHE_FIRST
        ? new CacheFirstStrategy(service, rpc, store, s.executor(), s.scheduler(), events, s.clock(), s.leaseTtl(), s.leaseWait())
        : null;
  }

  /**
   * Refuses calls from now on and waits, at most {@code wait}, for the cache writes already sent;
   * the client and the store are not ours to close. Idempotent.
   */
  public void close(Duration wait) {
    closed = true;
    store.awaitWrites(wait);
  }

  public String service() {
    return service;
  }

  public CachePolicy policyFor(String method) {
    return policies.getOrDefault(method, defaultPolicy);
  }

  /**
   * Calls {@code method} through the cache.
   *
   * @throws IllegalArgumentException a null or invalid method name, or null args/kwargs
   */
  public CompletableFuture<Object> invoke(String method, List<?> args, Map<String, ?> kwargs) {
    return invokeDetailed(method, args, kwargs).thenApply(CachedReply::value);
  }

  /** {@link #invoke} for a caller of the async API: its future completes off the library's I/O threads. */
  public CompletableFuture<Object> invokeAsync(String method, List<?> args, Map<String, ?> kwargs) {
    return forAsyncCaller(invoke(method, args, kwargs));
  }

  /** {@link #invokeDetailed} for a caller of the async API (see {@link #invokeAsync}). */
  public CompletableFuture<CachedReply> invokeDetailedAsync(String method, List<?> args, Map<String, ?> kwargs) {
    return forAsyncCaller(invokeDetailed(method, args, kwargs));
  }

  /** A future to hand to a caller of the async API (see {@link Delivery}). */
  public <T> CompletableFuture<T> forAsyncCaller(CompletableFuture<T> result) {
    return Delivery.toAsyncCaller(result, executor);
  }

  /** As {@link #invoke}, saying where the reply came from. Each caller gets a future of its own. */
  public CompletableFuture<CachedReply> invokeDetailed(String method, List<?> args, Map<String, ?> kwargs) {
    if (closed) {
      throw new IllegalStateException((mode == Mode.CACHED ? "CachedRpcProxy" : "CacheFirstRpcProxy") + " of " + service + " is closed");
    }
    Names.require("method", method);
    Objects.requireNonNull(args, "args must not be null (use List.of())");
    Objects.requireNonNull(kwargs, "kwargs must not be null (use Map.of())");
    RpcContext context = RpcContext.current().orElse(null);
    CachePolicy policy = policyFor(method);
    String key;
    try {
      key = key(method, args, kwargs, policy, context);
    } catch (CodecException e) {
      return CompletableFuture.failedFuture(new CodecException("cannot call " + service + "." + method + ": " + e.getMessage(), e));
    }
    CacheDirectives directives = directives(context);
    if (!directives.isEmpty()) {
      events.onCacheControl(service, method, directives);
    }
    CacheInstrumentation.Observed observed = instrumentation.start(service, method, mode, directives);
    CallRequest request = new CallRequest(method, args, kwargs, key, policy, context, observed, directives);
    CompletableFuture<CachedReply> reply = mode == Mode.CACHED ? cached.call(request) : cacheFirst.call(request);
    if (observed != CacheInstrumentation.Observed.NONE) {
      reply.whenComplete(observed::stop);
    }
    return reply;
  }

  private String key(String method, List<?> args, Map<String, ?> kwargs, CachePolicy policy, RpcContext context) {
    List<String> varyOn = policy.varyOnContext();
    if (varyOn.isEmpty()) {
      String key = memo.get(method, args, kwargs);
      if (key == null) {
        key = keyPrefix + CacheKeys.derive(service, method, args, kwargs);
        memo.put(method, args, kwargs, key);
      }
      return key;
    }
    // The context the RPC will carry: the caller's, or the client's own outside a service method.
    Map<String, Object> data = contextData(context);
    return keyPrefix + CacheKeys.derive(service, method, args, kwargs, varyOn, data);
  }

  /** The cache control the call carries, as far as this proxy accepts it. */
  private CacheDirectives directives(RpcContext context) {
    if (acceptedDirectives.isEmpty()) {
      return CacheDirectives.NONE;
    }
    Object value = context != null ? context.get(CacheDirectives.CONTEXT_KEY) : null;
    if (value == null && (context == null || context.extendsClientData())) {
      value = client.contextData().get(CacheDirectives.CONTEXT_KEY);
    }
    return value == null ? CacheDirectives.NONE : CacheDirectives.fromContextValue(value).onlyOf(acceptedDirectives);
  }

  /** The context data the RPC will carry: the caller's, or the client's own (plus what withData added) outside a service method. */
  private Map<String, Object> contextData(RpcContext context) {
    if (context == null) {
      return client.contextData();
    }
    return context.extendsClientData() ? Headers.merge(client.contextData(), context.data()) : context.data();
  }

  /** Invalidates one entry (see {@link StoreAccess#invalidateKey}). */
  public CompletableFuture<Void> invalidateKey(String key) {
    return store.invalidateKey(key);
  }

  /** Invalidates every entry of {@code method}. */
  public CompletableFuture<Void> invalidateMethod(String method) {
    return store.invalidateMethod(Names.require("method", method));
  }

  /** Invalidates every entry of the service. */
  public CompletableFuture<Void> invalidateService() {
    return store.invalidateService();
  }

  /** True if the store shares entries and invalidations between processes. */
  public boolean invalidatesEveryReplica() {
    return store.store().sharedBetweenProcesses() && store.store().scopeStamps() != null;
  }

  /** Invalidates every entry with {@code tag}, of any method or service of the store. */
  public CompletableFuture<Void> invalidateTag(String tag) {
    if (tag == null || tag.isEmpty()) {
      throw new IllegalArgumentException("tag must not be null or empty");
    }
    return store.invalidateTag(tag);
  }

  /** The key a call made here and now would use (vary-on-context reads the current context); for invalidation. */
  public String keyOf(String method, List<?> args, Map<String, ?> kwargs) {
    Names.require("method", method);
    return key(method, args, kwargs, policyFor(method), RpcContext.current().orElse(null));
  }
}
