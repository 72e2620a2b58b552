package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.internal.Instrumentation;
import java.util.concurrent.CompletableFuture;

/** The RPC behind a cached call, made in the caller's context on whatever thread runs it. */
final class ServiceCall {
  private final NamekoRpcClient client;
  private final String service;
  private final SafeListener events;

  ServiceCall(NamekoRpcClient client, String service, SafeListener events) {
    this.client = client;
    this.service = service;
    this.events = events;
  }

  /** Never throws: a failure to even send is a failed future. */
  CompletableFuture<Object> call(CallRequest r) {
    long start = System.nanoTime();
    CompletableFuture<Object> call;
    try (Instrumentation.Scope scope = r.observed().openScope()) {
      call = r.context() == null
          ? client.callAsync(service, r.method(), r.args(), r.kwargs())
          : r.context().callWith(() -> client.callAsync(service, r.method(), r.args(), r.kwargs()));
    } catch (Exception e) {
      call = CompletableFuture.failedFuture(e);
    }
    call.whenComplete((v, e) -> events.onCall(service, r.method(), System.nanoTime() - start, e == null));
    return call;
  }
}
