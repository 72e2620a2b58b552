package io.github.nameko4j.rpc;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The context of the rpc request a service method is handling (nameko's worker context): the
 * call id stack and the other {@code nameko.*} context data (language, user_id, auth_token, ...).
 *
 * <p>While a {@link NamekoRpcServer} runs a method, {@link #current()} returns this context on that
 * thread, and every call made from that thread through a {@link NamekoRpcClient} carries it on,
 * with the stack extended as nameko does. Calls made from other threads (e.g. in a future's
 * callback) start a fresh context unless the context is passed along explicitly.
 *
 * <p>Immutable.
 */
public final class RpcContext {
  private static final ThreadLocal<RpcContext> CURRENT = new ThreadLocal<>();

  private final String service;
  private final String method;
  private final List<String> callIdStack;
  private final Map<String, Object> data;

  /**
   * A context to pass along explicitly, e.g. to a call made from another thread. {@code data}
   * excludes the call id stack.
   */
  public static RpcContext of(
      String service, String method, List<String> callIdStack, Map<String, Object> data) {
    return new RpcContext(service, method, callIdStack, data);
  }

  private RpcContext(String service, String method, List<String> callIdStack, Map<String, Object> data) {
    this.service = service;
    this.method = method;
    this.callIdStack = List.copyOf(callIdStack);
    this.data = Collections.unmodifiableMap(new LinkedHashMap<>(data));
  }

  /** The context of the request this thread is handling, if any. */
  public static Optional<RpcContext> current() {
    return Optional.ofNullable(CURRENT.get());
  }

  /** The service handling the request. */
  public String service() {
    return service;
  }

  /** The rpc method handling the request. */
  public String method() {
    return method;
  }

  /** The incoming call id stack with this worker's own call id last (at most 11 entries). */
  public List<String> callIdStack() {
    return callIdStack;
  }

  /** Context data without the {@code nameko.} prefix, excluding the call id stack. */
  public Map<String, Object> data() {
    return data;
  }

  /** One context entry, e.g. {@code get("language")}; null if absent. */
  public Object get(String key) {
    return data.get(key);
  }

  /** Runs {@code body} with this context as {@link #current()}; restores the previous one after. */
  public <T> T callWith(Callable<T> body) throws Exception {
    RpcContext previous = CURRENT.get();
    CURRENT.set(this);
    try {
      return body.call();
    } finally {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }

  @Override
  public String toString() {
    return "RpcContext{" + service + "." + method + ", callIdStack=" + callIdStack + ", keys=" + data.keySet() + "}";
  }
}
