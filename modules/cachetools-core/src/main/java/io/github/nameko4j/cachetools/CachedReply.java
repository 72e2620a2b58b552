package io.github.nameko4j.cachetools;

import java.util.Optional;

/**
 * A reply with where it came from: {@link Source#SERVICE} or {@link Source#CACHE}, and, when the
 * cache answered for a failing or slow service, why. Immutable.
 */
public final class CachedReply {
  /** Where a reply came from. */
  public enum Source {
    /** The service answered (and the reply was cached). */
    SERVICE,
    /** The cache answered: a fresh hit (CacheFirstRpcProxy) or a failover (CachedRpcProxy). */
    CACHE
  }

  private final Object value;
  private final Source source;
  private final Throwable fallbackCause;

  CachedReply(Object value, Source source, Throwable fallbackCause) {
    this.value = value;
    this.source = source;
    this.fallbackCause = fallbackCause;
  }

  /** Public for the internal engine; not for users. */
  public static CachedReply of(Object value, Source source, Throwable fallbackCause) {
    return new CachedReply(value, source, fallbackCause);
  }

  /** The decoded reply. */
  public Object value() {
    return value;
  }

  /**
   * Who answered.
   *
   * @return {@link Source#SERVICE} or {@link Source#CACHE}
   */
  public Source source() {
    return source;
  }

  /**
   * Why the cache answered instead of the service: the service's error, or a {@link
   * java.util.concurrent.TimeoutException} when it was slower than the failover timeout. Empty
   * when the service answered or for a CacheFirstRpcProxy hit.
   */
  public Optional<Throwable> fallbackCause() {
    return Optional.ofNullable(fallbackCause);
  }

  @Override
  public String toString() {
    return "CachedReply{source=" + source + (fallbackCause == null ? "" : ", because=" + fallbackCause) + "}";
  }
}
