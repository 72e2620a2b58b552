package io.github.nameko4j.examples.spring;

import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.cachetools.Caching;
import io.github.nameko4j.rpc.RpcService;

/**
 * The client of {@code inventory}: a CachedRpcProxy that waits 300 ms for the service when it has
 * a cached reply. Declared to return {@link CachedReply}, so its caller knows who answered.
 */
@RpcService("inventory")
@Caching(mode = Caching.Mode.CACHED, failoverTimeout = "300ms")
public interface Inventory {
  CachedReply stock(String item);
}
