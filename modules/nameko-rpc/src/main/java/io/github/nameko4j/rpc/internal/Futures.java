package io.github.nameko4j.rpc.internal;

import io.github.nameko4j.rpc.NamekoException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Blocking on a call's future the way every synchronous API here does. */
public final class Futures {
  private Futures() {}

  /**
   * Waits for {@code future}, rethrowing the failure itself (not wrapped in an ExecutionException).
   *
   * @throws NamekoException when interrupted (the interrupt flag is kept) or the failure is checked
   */
  public static <T> T await(CompletableFuture<T> future) {
    return await(future, "a reply");
  }

  /**
   * {@link #await(CompletableFuture)}, naming what was awaited when interrupted.
   *
   * @param waitingFor e.g. "the broker's confirm"
   */
  public static <T> T await(CompletableFuture<T> future, String waitingFor) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(false);
      throw new NamekoException("interrupted while waiting for " + waitingFor, e);
    } catch (ExecutionException e) {
      throw unwrap(e.getCause());
    }
  }

  /** The failure behind CompletionException/ExecutionException wrappers, as it is. */
  public static Throwable cause(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The failure behind CompletionException/ExecutionException wrappers, as an unchecked exception. */
  public static RuntimeException unwrap(Throwable failure) {
    Throwable t = cause(failure);
    if (t instanceof RuntimeException) {
      return (RuntimeException) t;
    }
    if (t instanceof Error) {
      throw (Error) t;
    }
    return new NamekoException(String.valueOf(t.getMessage()), t);
  }
}
