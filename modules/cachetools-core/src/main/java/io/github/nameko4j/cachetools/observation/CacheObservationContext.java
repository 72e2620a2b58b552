package io.github.nameko4j.cachetools.observation;

import io.micrometer.observation.Observation;
import java.util.Locale;

/**
 * What an observed call through a caching proxy knows: the service and method, the proxy's mode,
 * and, once it completed, where the reply came from ({@link #outcome()}) and why the cache
 * answered for the service ({@link #fallbackReason()}).
 */
public final class CacheObservationContext extends Observation.Context {
  /** Where a call's reply came from. */
  public enum Outcome {
    /** CacheFirstRpcProxy: a fresh entry answered. */
    HIT,
    /** CacheFirstRpcProxy: the service answered (and its reply was cached). */
    MISS,
    /** CachedRpcProxy: the service answered (and its reply was cached). */
    SERVICE,
    /** CachedRpcProxy: the service failed or was too slow, and the cache answered. */
    FALLBACK,
    /** The call failed: the caller got an exception. */
    ERROR;

    /** @return the tag value: the name in lower case */
    public String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final String service;
  private final String method;
  private final String mode;
  private final String cacheControl;
  private volatile Outcome outcome;
  private volatile String fallbackReason = "none";

  /**
   * @param service the service called
   * @param method the method called
   * @param mode {@code cached} (CachedRpcProxy) or {@code cache_first} (CacheFirstRpcProxy)
   */
  public CacheObservationContext(String service, String method, String mode) {
    this(service, method, mode, "none");
  }

  /**
   * @param service the service called
   * @param method the method called
   * @param mode {@code cached} or {@code cache_first}
   * @param cacheControl the names of the cache control directives the call carried and the proxy
   *     applied, e.g. {@code no-cache}, {@code max-age,max-stale}; {@code none}
   */
  public CacheObservationContext(String service, String method, String mode, String cacheControl) {
    this.service = service;
    this.method = method;
    this.mode = mode;
    this.cacheControl = cacheControl;
  }

  /** @return the cache control directives applied, by name ({@code no-cache,max-age}), or {@code none} */
  public String cacheControl() {
    return cacheControl;
  }

  /** @return the service called */
  public String service() {
    return service;
  }

  /** @return the method called */
  public String method() {
    return method;
  }

  /** @return {@code cached} or {@code cache_first} */
  public String mode() {
    return mode;
  }

  /** @return where the reply came from; null until the call completed */
  public Outcome outcome() {
    return outcome;
  }

  /**
   * @return why the cache answered for the service: {@code timeout} (slower than the failover
   *     timeout, or the RPC timed out), {@code remote_error} (the service raised), {@code
   *     transport} (the broker could not be reached), {@code other}; {@code none} otherwise
   */
  public String fallbackReason() {
    return fallbackReason;
  }

  /** Records how the call completed; called by the proxy, once. */
  public void complete(Outcome outcome, String fallbackReason) {
    this.outcome = outcome;
    this.fallbackReason = fallbackReason;
  }
}
