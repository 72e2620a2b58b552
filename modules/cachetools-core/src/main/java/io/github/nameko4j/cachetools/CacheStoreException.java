package io.github.nameko4j.cachetools;

import io.github.nameko4j.rpc.NamekoException;
import java.util.Objects;

/**
 * A cache store could not do what it was asked. Stores complete their futures with it; the
 * proxies never let it reach a caller (a lookup that fails is a miss, a write that fails is
 * logged), but code that uses a store directly sees it.
 */
public class CacheStoreException extends NamekoException {
  private static final long serialVersionUID = 1L;

  /** Why the operation did not happen. */
  public enum Reason {
    /** The store answered with an error, or the connection failed. */
    FAILED,
    /** No answer within the store's hard timeout. */
    TIMED_OUT,
    /**
     * Not even tried: the store switched itself off for a while after repeated failures (an open
     * circuit), or is not connected. Not a new failure: logged by the store, not per operation.
     */
    SKIPPED,
    /** The store was closed. */
    CLOSED
  }

  private final Reason reason;

  /**
   * @param reason why
   * @param message what, naming the store and the operation
   * @param cause the underlying failure, or null
   */
  public CacheStoreException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** @return why the operation did not happen */
  public Reason reason() {
    return reason;
  }
}
