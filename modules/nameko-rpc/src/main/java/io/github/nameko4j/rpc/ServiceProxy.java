package io.github.nameko4j.rpc;

import io.github.nameko4j.rpc.internal.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Untyped calls to one service, like nameko's {@code proxy.service_name}. Immutable and
 * thread-safe; as cheap as the client it came from.
 */
public final class ServiceProxy {
  private final NamekoRpcClient client;
  private final String service;

  ServiceProxy(NamekoRpcClient client, String service) {
    this.client = client;
    this.service = service;
  }

  /** The service this proxy calls. */
  public String name() {
    return service;
  }

  /** {@code method(*args)}, waiting for the result. See {@link NamekoRpcClient#call}. */
  public Object call(String method, Object... args) {
    return client.call(service, method, Json.listOf(args), Map.of());
  }

  /** {@code method(*args, **kwargs)}, waiting for the result. */
  public Object call(String method, List<?> args, Map<String, ?> kwargs) {
    return client.call(service, method, args, kwargs);
  }

  /** {@code method(*args, **kwargs)} without waiting. */
  public CompletableFuture<Object> callAsync(String method, List<?> args, Map<String, ?> kwargs) {
    return client.callAsync(service, method, args, kwargs);
  }

  /** {@code method(*args, **kwargs)} without waiting, with its own timeout. */
  public CompletableFuture<Object> callAsync(
      String method, List<?> args, Map<String, ?> kwargs, Duration timeout) {
    return client.callAsync(service, method, args, kwargs, timeout);
  }

  @Override
  public String toString() {
    return "ServiceProxy{" + service + "}";
  }
}
