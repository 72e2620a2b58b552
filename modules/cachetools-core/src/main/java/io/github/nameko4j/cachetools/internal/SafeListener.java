package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CacheDirectives;
import io.github.nameko4j.cachetools.CacheEventListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Calls a user's listener; what it throws is logged, never passed to the caller of the proxy. */
final class SafeListener implements CacheEventListener {
  private static final Logger LOG = LoggerFactory.getLogger(SafeListener.class);
  private final CacheEventListener delegate;

  SafeListener(CacheEventListener delegate) {
    this.delegate = delegate;
  }

  private void guard(Runnable call) {
    if (delegate == null) {
      return;
    }
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.warn("cache event listener {} threw {}", delegate, e.toString());
    }
  }

  @Override
  public void onHit(String service, String method) {
    guard(() -> delegate.onHit(service, method));
  }

  @Override
  public void onMiss(String service, String method) {
    guard(() -> delegate.onMiss(service, method));
  }

  @Override
  public void onFallback(String service, String method, FallbackCause cause) {
    guard(() -> delegate.onFallback(service, method, cause));
  }

  @Override
  public void onLateReplyCached(String service, String method) {
    guard(() -> delegate.onLateReplyCached(service, method));
  }

  @Override
  public void onRefreshAhead(String service, String method) {
    guard(() -> delegate.onRefreshAhead(service, method));
  }

  @Override
  public void onCacheControl(String service, String method, CacheDirectives directives) {
    guard(() -> delegate.onCacheControl(service, method, directives));
  }

  @Override
  public void onStoreError(String service, String operation, Throwable error) {
    guard(() -> delegate.onStoreError(service, operation, error));
  }

  @Override
  public void onCall(String service, String method, long nanos, boolean success) {
    guard(() -> delegate.onCall(service, method, nanos, success));
  }
}
