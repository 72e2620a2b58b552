package io.github.nameko4j.cachetools;

/**
 * Hears what the proxies do, for metrics or logs without Micrometer. Every method has an empty
 * default. Called on whatever thread the event happens (often the RPC client's delivery thread):
 * implementations must be thread-safe, quick, and must not throw (what they throw is logged and
 * ignored).
 *
 * <p>{@link MicrometerCacheMetrics} is one implementation.
 */
public interface CacheEventListener {

  /** Why the cache answered instead of the service. */
  enum FallbackCause {
    /** The service raised an error, or the call failed. */
    ERROR,
    /** The service was slower than the failover timeout. */
    TIMEOUT,
    /**
     * Within the fail-safe throttle window after an ERROR or TIMEOUT fallback for the same key:
     * answered from the cache without waiting, while one probe asks the service.
     */
    THROTTLED
  }

  /** CacheFirstRpcProxy answered from a fresh entry. */
  default void onHit(String service, String method) {}

  /** CacheFirstRpcProxy found no fresh entry and will ask the service. */
  default void onMiss(String service, String method) {}

  /** CachedRpcProxy answered from the cache for a failing or slow service. */
  default void onFallback(String service, String method, FallbackCause cause) {}

  /** A reply arrived after the caller had been answered from the cache, and refreshed it. */
  default void onLateReplyCached(String service, String method) {}

  /** A CacheFirstRpcProxy hit past the refresh-ahead point started a background refresh. */
  default void onRefreshAhead(String service, String method) {}

  /** The store failed an operation ({@code get}, {@code put}, {@code delete}); the call went on. */
  default void onStoreError(String service, String operation, Throwable error) {}

  /**
   * A call carried cache control ({@link CacheDirectives}) the proxy accepts and applies; {@code
   * directives} holds only those.
   */
  default void onCacheControl(String service, String method, CacheDirectives directives) {}

  /** An RPC made through a proxy finished, successfully or not, after {@code nanos}. */
  default void onCall(String service, String method, long nanos, boolean success) {}
}
