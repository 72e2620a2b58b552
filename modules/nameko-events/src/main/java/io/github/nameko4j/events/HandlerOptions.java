package io.github.nameko4j.events;

import java.util.Objects;

/**
 * How a handler registered in code with {@link EventSubscriber.Builder#on(String, String, String,
 * HandlerOptions, EventListener)} receives events: every option of {@link EventHandler}.
 * Immutable and thread-safe.
 *
 * <pre>{@code
 * HandlerOptions perInstance = HandlerOptions.custom()
 *     .handlerType(HandlerType.BROADCAST)
 *     .broadcastIdentifier(hostName)     // stable per instance: a reliable broadcast needs one
 *     .build();
 * }</pre>
 */
public final class HandlerOptions {
  private static final HandlerOptions DEFAULTS = custom().build();

  private final HandlerType handlerType;
  private final boolean reliableDelivery;
  private final boolean requeueOnError;
  private final String broadcastIdentifier;

  private HandlerOptions(Builder b) {
    this.handlerType = b.handlerType;
    this.reliableDelivery = b.reliableDelivery;
    this.requeueOnError = b.requeueOnError;
    this.broadcastIdentifier = b.broadcastIdentifier;
  }

  /**
   * nameko's defaults: SERVICE_POOL, reliable delivery, no requeue on error.
   *
   * @return the default options
   */
  public static HandlerOptions ofDefaults() {
    return DEFAULTS;
  }

  /**
   * A builder starting from the defaults.
   *
   * @return a new builder
   */
  public static Builder custom() {
    return new Builder();
  }

  /** @return who handles each event ({@link EventHandler#handlerType()}) */
  public HandlerType handlerType() {
    return handlerType;
  }

  /** @return whether the queue outlives the handler ({@link EventHandler#reliableDelivery()}) */
  public boolean reliableDelivery() {
    return reliableDelivery;
  }

  /** @return whether a failed event goes back to the queue ({@link EventHandler#requeueOnError()}) */
  public boolean requeueOnError() {
    return requeueOnError;
  }

  /** @return the BROADCAST instance identifier ({@link EventHandler#broadcastIdentifier()}), empty for a random one */
  public String broadcastIdentifier() {
    return broadcastIdentifier;
  }

  @Override
  public String toString() {
    return "HandlerOptions{" + handlerType + (reliableDelivery ? ", reliable" : "") + (requeueOnError ? ", requeueOnError" : "")
        + (broadcastIdentifier.isEmpty() ? "" : ", broadcastIdentifier=" + broadcastIdentifier) + "}";
  }

  /** Builds {@link HandlerOptions}. Not thread-safe. */
  public static final class Builder {
    private HandlerType handlerType = HandlerType.SERVICE_POOL;
    private boolean reliableDelivery = true;
    private boolean requeueOnError;
    private String broadcastIdentifier = "";

    private Builder() {}

    /**
     * Who handles each event. Default SERVICE_POOL.
     *
     * @param type the handler type
     * @return this builder
     */
    public Builder handlerType(HandlerType type) {
      this.handlerType = Objects.requireNonNull(type, "handlerType must not be null");
      return this;
    }

    /**
     * Whether the queue outlives the handler. Default true.
     *
     * @param reliable nameko's reliable_delivery
     * @return this builder
     */
    public Builder reliableDelivery(boolean reliable) {
      this.reliableDelivery = reliable;
      return this;
    }

    /**
     * Whether an event whose handler raised goes back to the queue. Default false.
     *
     * @param requeue nameko's requeue_on_error
     * @return this builder
     */
    public Builder requeueOnError(boolean requeue) {
      this.requeueOnError = requeue;
      return this;
    }

    /**
     * BROADCAST only: this instance's identifier in its queue name; stable and unique per
     * instance for a reliable broadcast. Default empty: a random one on every start.
     *
     * @param identifier e.g. the host name
     * @return this builder
     */
    public Builder broadcastIdentifier(String identifier) {
      this.broadcastIdentifier = Objects.requireNonNull(identifier, "broadcastIdentifier must not be null (use an empty string for a random one)");
      return this;
    }

    /**
     * The options.
     *
     * @return immutable options
     * @throws IllegalStateException a broadcast identifier without BROADCAST
     */
    public HandlerOptions build() {
      if (!broadcastIdentifier.isEmpty() && handlerType != HandlerType.BROADCAST) {
        throw new IllegalStateException("broadcastIdentifier applies to BROADCAST handlers only, not " + handlerType);
      }
      return new HandlerOptions(this);
    }
  }
}
