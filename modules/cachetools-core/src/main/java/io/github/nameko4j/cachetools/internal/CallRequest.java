package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CacheDirectives;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.rpc.RpcContext;
import java.util.List;
import java.util.Map;

/**
 * One call through a caching proxy, as it was made: the caller's {@link RpcContext} is captured
 * here, on the caller's thread, so the RPC made later on another thread carries it on.
 *
 * The caller's observation travels along too, so that the RPC is its child on any thread.
 *
 * @param context the caller's context, or null outside a service method
 * @param observed the call's observation (NONE when not observed)
 * @param directives the cache control the call carries that the proxy accepts ({@link CacheDirectives#NONE} mostly)
 */
record CallRequest(String method, List<?> args, Map<String, ?> kwargs, String key, CachePolicy policy, RpcContext context,
    CacheInstrumentation.Observed observed, CacheDirectives directives) {

  /** The key under which concurrent calls share one flight: calls with other directives want other answers. */
  String flightKey() {
    return directives.isEmpty() ? key : key + "\u0000" + directives;
  }
}
