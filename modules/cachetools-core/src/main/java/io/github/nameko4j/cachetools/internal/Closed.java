package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CacheStoreException;
import java.util.concurrent.CompletableFuture;

/** How every store refuses an operation once closed: one reason, one wording. */
public final class Closed {
  private Closed() {}

  public static CacheStoreException exception(Object store, String operation) {
    return new CacheStoreException(CacheStoreException.Reason.CLOSED, store + " is closed: " + operation + " not done", null);
  }

  public static <T> CompletableFuture<T> future(Object store, String operation) {
    return CompletableFuture.failedFuture(exception(store, operation));
  }
}
