package io.github.nameko4j.rpc;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
  private final boolean extendsClientData;

  /**
   * A context to pass along explicitly, e.g. to a call made from another thread. {@code data}
   * excludes the call id stack.
   */
  public static RpcContext of(
      String service, String method, List<String> callIdStack, Map<String, Object> data) {
    return new RpcContext(service, method, callIdStack, data, false);
  }

  /**
   * The current context with {@code data} added, for the calls and events made within {@link
   * #callWith}: inside a service method, the request's context data plus {@code data}; outside
   * one, the client's (or dispatcher's) own context data plus {@code data}, with a new call id
   * as usual. E.g. {@code RpcContext.withData(Map.of("language", "fr")).callWith(() -> client.call(...))}.
   *
   * @param data keys without the {@code nameko.} prefix; values as context data allows
   * @throws IllegalArgumentException a null or blank key, a null value, or the call id stack
   */
  public static RpcContext withData(Map<String, ?> data) {
    Objects.requireNonNull(data, "data must not be null");
    Map<String, Object> merged = new LinkedHashMap<>();
    RpcContext current = CURRENT.get();
    if (current != null) {
      merged.putAll(current.data);
    }
    for (Map.Entry<String, ?> e : data.entrySet()) {
      String key = e.getKey();
      if (key == null || key.isBlank()) {
        throw new IllegalArgumentException("context data keys must not be null or blank");
      }
      if (key.equals("call_id_stack")) {
        throw new IllegalArgumentException("the call id stack is not context data to set: each call gets its own");
      }
      if (e.getValue() == null) {
        throw new IllegalArgumentException("context data '" + key + "' must not be null");
      }
      merged.put(key, e.getValue());
    }
    return current != null
        ? new RpcContext(current.service, current.method, current.callIdStack, merged, current.extendsClientData)
        : new RpcContext(null, null, List.of(), merged, true);
  }

  private RpcContext(String service, String method, List<String> callIdStack, Map<String, Object> data, boolean extendsClientData) {
    this.service = service;
    this.method = method;
    this.callIdStack = List.copyOf(callIdStack);
    this.data = Collections.unmodifiableMap(new LinkedHashMap<>(data));
    this.extendsClientData = extendsClientData;
  }

  /**
   * True for a context {@link #withData} made outside a service method: calls made with it send
   * the client's own context data and a new call id, with this context's data added.
   */
  public boolean extendsClientData() {
    return extendsClientData;
  }

  /** The context of the request this thread is handling, if any. */
  public static Optional<RpcContext> current() {
    return Optional.ofNullable(CURRENT.get());
  }

  /** The service handling the request; null for a context {@link #withData} made outside one. */
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
