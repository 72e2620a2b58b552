package io.github.nameko4j.cachetools;

import io.github.nameko4j.rpc.RpcTimeoutException;
import io.github.nameko4j.rpc.TransportException;
import io.github.nameko4j.rpc.UnknownServiceException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * How one rpc method is cached. Immutable and thread-safe.
 *
 * <pre>{@code
 * CachePolicy policy = CachePolicy.custom()
 *     .ttl(Duration.ofSeconds(30))              // entries are fresh for 30 s
 *     .failoverTimeout(Duration.ofSeconds(1))   // CachedRpcProxy: wait at most 1 s when a reply is cached
 *     .fallbackOn(CachePolicy.TRANSPORT_ERRORS) // only fall back on transport errors and timeouts
 *     .build();
 * CachePolicy longer = CachePolicy.from(policy).ttl(Duration.ofMinutes(5)).build();
 * }</pre>
 *
 * <ul>
 *   <li><b>ttl</b>: how long a cached reply is fresh; {@code null} (the default) means forever, as
 *       the original's plain dict. A CacheFirstRpcProxy answers only from fresh entries.
 *   <li><b>staleWindow</b>: how much longer than the ttl an entry is kept for failover. Past its
 *       ttl an entry no longer answers CacheFirstRpcProxy, but CachedRpcProxy still returns it when
 *       the service fails. Default zero. Needs a ttl.
 *   <li><b>failoverTimeout</b>: CachedRpcProxy only. When a reply is cached, how long to wait for
 *       the service before returning the cached reply. Zero (the default) means no limit, as in
 *       the original: wait for the call's own timeout.
 *   <li><b>fallbackOn</b>: which failures of the call may be answered from the cache. Default
 *       {@link #ANY_ERROR}, as in the original.
 *   <li><b>failSafeThrottle</b>: CachedRpcProxy only. After a key was answered from the cache
 *       because the service failed or was too slow, calls for it within this window are answered
 *       from the cache at once, while one probe at a time asks the service; its first good reply
 *       ends the window. Zero (the default) means off.
 *   <li><b>varyOnContext</b>: context data keys (e.g. {@code auth_token}, {@code language}) whose
 *       values are part of the cache key, for replies that depend on who asks. Default none:
 *       callers with different context share entries.
 *   <li><b>tags</b>: the tags of each reply ({@link CacheTags}), for {@link
 *       CacheControl#invalidateTag}. Default none.
 *   <li><b>ttlJitter</b>: each entry's ttl is made longer by a random amount up to this, so that
 *       entries written together (one burst of keys, or one key on several replicas with their
 *       own stores) do not all expire at the same instant. Default zero (off). Needs a ttl or
 *       {@code ttlFromReply}.
 *   <li><b>ttlFromReply</b>: a function of the reply giving its entry's ttl, e.g. from a {@code
 *       max_age} field the service returns ({@link Builder#ttlFromField}); {@link Duration#ZERO}
 *       means do not cache this reply, null means the policy's ttl. Default none.
 * </ul>
 *
 * <p>Two proxies of one namespace that cache the same call share its entry: each judges its
 * freshness by the writer's ttl and by its own (counted from when the entry was written), and the
 * stricter wins. A CacheFirstRpcProxy with a 10 s ttl reading an entry a CachedRpcProxy wrote
 * with a 5 min ttl takes it for fresh for 10 s after the write.
 */
public final class CachePolicy {
  /** Every failure falls back to the cache (the original's behaviour). */
  public static final Predicate<Throwable> ANY_ERROR = new Named("ANY_ERROR", t -> true);

  /**
   * Only failures to reach the service fall back: transport errors, timeouts, unknown service.
   * The service's own (business) errors reach the caller.
   */
  public static final Predicate<Throwable> TRANSPORT_ERRORS =
      new Named(
          "TRANSPORT_ERRORS",
          t -> t instanceof TransportException || t instanceof RpcTimeoutException || t instanceof UnknownServiceException);

  /** The longest duration any setting accepts: longer is almost certainly a unit mistake. */
  public static final Duration MAX_DURATION = Duration.ofDays(365);

  private static final CachePolicy DEFAULTS = new Builder().build();

  private final Duration ttl;
  private final Duration staleWindow;
  private final Duration failoverTimeout;
  private final Predicate<Throwable> fallbackOn;
  private final double refreshAhead;
  private final Duration failSafeThrottle;
  private final List<String> varyOnContext;
  private final CacheTags tags;
  private final Duration ttlJitter;
  private final Function<Object, Duration> ttlFromReply;

  private CachePolicy(Builder b) {
    this.ttlJitter = b.ttlJitter;
    this.ttlFromReply = b.ttlFromReply;
    this.tags = b.tags;
    this.failSafeThrottle = b.failSafeThrottle;
    this.varyOnContext = List.copyOf(b.varyOnContext);
    this.refreshAhead = b.refreshAhead;
    this.ttl = b.ttl;
    this.staleWindow = b.staleWindow;
    this.failoverTimeout = b.failoverTimeout;
    this.fallbackOn = b.fallbackOn;
  }

  /** No ttl, no stale window, no failover timeout, fall back on any error. */
  public static CachePolicy ofDefaults() {
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

  /** A builder starting from {@code base}'s settings. */
  public static Builder from(CachePolicy base) {
    Objects.requireNonNull(base, "base policy must not be null");
    Builder b = new Builder();
    b.ttl = base.ttl;
    b.staleWindow = base.staleWindow;
    b.failoverTimeout = base.failoverTimeout;
    b.fallbackOn = base.fallbackOn;
    b.refreshAhead = base.refreshAhead;
    b.failSafeThrottle = base.failSafeThrottle;
    b.varyOnContext.addAll(base.varyOnContext);
    b.tags = base.tags;
    b.ttlJitter = base.ttlJitter;
    b.ttlFromReply = base.ttlFromReply;
    return b;
  }

  /** How long an entry is fresh; null means forever. */
  public Duration ttl() {
    return ttl;
  }

  /**
   * How much longer than the ttl an entry is kept for failover.
   *
   * @return zero or positive
   */
  public Duration staleWindow() {
    return staleWindow;
  }

  /** Zero means no limit. */
  public Duration failoverTimeout() {
    return failoverTimeout;
  }

  /**
   * Which failures of a call the cache may answer.
   *
   * @return the predicate, e.g. {@link #ANY_ERROR}
   */
  public Predicate<Throwable> fallbackOn() {
    return fallbackOn;
  }

  /**
   * CacheFirstRpcProxy: the fraction of the ttl after which a hit returns at once and refreshes
   * the entry in the background (once per key at a time); 0 (the default) means never.
   */
  public double refreshAhead() {
    return refreshAhead;
  }

  /** CachedRpcProxy's fail-safe window; zero means off. */
  public Duration failSafeThrottle() {
    return failSafeThrottle;
  }

  /** The context data keys the cache key varies on, in a fixed order; empty means none. */
  public List<String> varyOnContext() {
    return varyOnContext;
  }

  /** The tags of each reply; {@link CacheTags#NONE} by default. */
  public CacheTags tags() {
    return tags;
  }

  /** How long the store keeps an entry: ttl plus stale window; null means forever. */
  public Duration storeTtl() {
    return ttl == null ? null : ttl.plus(staleWindow);
  }

  /**
   * The most each entry's ttl is made longer by, at random.
   *
   * @return zero (off) or positive
   */
  public Duration ttlJitter() {
    return ttlJitter;
  }

  /**
   * The function giving an entry's ttl from its reply.
   *
   * @return the function, or null when the ttl is the policy's
   */
  public Function<Object, Duration> ttlFromReply() {
    return ttlFromReply;
  }

  @Override
  public String toString() {
    return "CachePolicy{ttl=" + (ttl == null ? "none" : ttl) + ", staleWindow=" + staleWindow
        + ", failoverTimeout=" + (failoverTimeout.isZero() ? "none" : failoverTimeout) + ", fallbackOn=" + fallbackOn
        + (refreshAhead > 0 ? ", refreshAhead=" + refreshAhead : "")
        + (failSafeThrottle.isZero() ? "" : ", failSafeThrottle=" + failSafeThrottle)
        + (varyOnContext.isEmpty() ? "" : ", varyOnContext=" + varyOnContext)
        + (tags == CacheTags.NONE ? "" : ", tags=" + tags)
        + (ttlJitter.isZero() ? "" : ", ttlJitter=" + ttlJitter)
        + (ttlFromReply == null ? "" : ", ttlFromReply=" + ttlFromReply) + "}";
  }

  /** Builds a {@link CachePolicy}; invalid values fail at once, naming the setting. Not thread-safe. */
  public static final class Builder {
    private Duration ttl;
    private Duration staleWindow = Duration.ZERO;
    private Duration failoverTimeout = Duration.ZERO;
    private Predicate<Throwable> fallbackOn = ANY_ERROR;
    private double refreshAhead;
    private Duration failSafeThrottle = Duration.ZERO;
    private final Set<String> varyOnContext = new TreeSet<>();
    private CacheTags tags = CacheTags.NONE;
    private Duration ttlJitter = Duration.ZERO;
    private Function<Object, Duration> ttlFromReply;

    private Builder() {}

    /**
     * Makes each entry's ttl longer by a random amount between zero and {@code jitter}, drawn
     * per write: keys cached in one burst, or one key cached by several replicas each in its own
     * store, then expire spread over {@code jitter} instead of all missing at once. A Redis entry's
     * expiry gets the same extra time. Needs a ttl (or {@link #ttlFromReply}).
     *
     * @param jitter zero (off) or positive, at most {@link #MAX_DURATION}
     * @return this builder
     */
    public Builder ttlJitter(Duration jitter) {
      this.ttlJitter = check("ttlJitter", jitter, true);
      return this;
    }

    /**
     * Computes each entry's ttl from its reply (the value as decoded from JSON, before a typed
     * interface converts it: a {@code Map}, {@code List}, {@code String}, number...). The
     * function returns a positive duration (at most {@link #MAX_DURATION}), {@link Duration#ZERO}
     * to not cache this reply, or null to use the policy's {@link #ttl}. A function that throws,
     * or returns a negative or too long duration, leaves the reply uncached (logged). The stale
     * window and the jitter are added to what it returns.
     *
     * @param ttlFromReply e.g. {@code reply -> reply instanceof List<?> l && l.isEmpty() ? Duration.ofSeconds(5) : null}
     * @return this builder
     */
    public Builder ttlFromReply(Function<Object, Duration> ttlFromReply) {
      this.ttlFromReply = Objects.requireNonNull(ttlFromReply, "ttlFromReply must not be null");
      return this;
    }

    /**
     * Takes each entry's ttl from a number of seconds in a field of the reply, e.g. {@code
     * ttlFromField("max_age")} for a service returning {@code {"max_age": 60, ...}}: 0 (or less)
     * means do not cache; a reply without the field (or not a JSON object) gets the policy's
     * {@link #ttl}. See {@link #ttlFromReply}.
     *
     * @param field the JSON object's field name
     * @return this builder
     */
    public Builder ttlFromField(String field) {
      if (field == null || field.isEmpty()) {
        throw new IllegalArgumentException("ttlFromField needs a field name, was " + (field == null ? "null" : "empty"));
      }
      return ttlFromReply(new FieldTtl(field));
    }

    /**
     * The tags of each reply, e.g. {@code tags(CacheTags.template("product:{0}"))}: {@link
     * CacheControl#invalidateTag} drops every reply so tagged.
     *
     * @param tags the tag function
     * @return this builder
     */
    public Builder tags(CacheTags tags) {
      this.tags = Objects.requireNonNull(tags, "tags must not be null (CacheTags.NONE for none)");
      return this;
    }

    /**
     * CachedRpcProxy: after the cache answered for a key because the service failed or was too
     * slow, answer that key from the cache at once for this long, with one probe at a time asking
     * the service (its first good reply ends the window).
     *
     * @param window zero (off) or positive, at most {@link #MAX_DURATION}
     */
    public Builder failSafeThrottle(Duration window) {
      this.failSafeThrottle = check("failSafeThrottle", window, true);
      return this;
    }

    /**
     * Makes these context data keys part of the cache key, e.g. {@code varyOnContext("auth_token")}
     * when a reply depends on who asks: callers with different values never share an entry. The
     * context is the caller's {@link io.github.nameko4j.rpc.RpcContext} inside a service method,
     * else the RPC client's own context data. Adds to any keys given before.
     *
     * @throws IllegalArgumentException a null or blank key, or the call id stack (unique per call)
     */
    public Builder varyOnContext(String... keys) {
      for (String key : keys) {
        if (key == null || key.isBlank()) {
          throw new IllegalArgumentException("varyOnContext keys must not be null or blank");
        }
        if (key.equals("call_id_stack")) {
          throw new IllegalArgumentException("varyOnContext(\"call_id_stack\") would make every call a miss: it is unique per call");
        }
        varyOnContext.add(key);
      }
      return this;
    }

    /**
     * CacheFirstRpcProxy: past this fraction of the ttl (e.g. 0.8), a hit returns the cached
     * reply at once and refreshes it in the background, once per key across callers. Needs a ttl.
     *
     * @param fraction strictly between 0 and 1, or 0 to turn it off
     */
    public Builder refreshAhead(double fraction) {
      if (!(fraction == 0 || (fraction > 0 && fraction < 1))) {
        throw new IllegalArgumentException("refreshAhead must be 0 (off) or strictly between 0 and 1, was " + fraction);
      }
      this.refreshAhead = fraction;
      return this;
    }

    /** @param ttl positive, at most {@link #MAX_DURATION}; null means entries never expire */
    public Builder ttl(Duration ttl) {
      if (ttl != null) {
        check("ttl", ttl, false);
      }
      this.ttl = ttl;
      return this;
    }

    /** @param staleWindow zero or positive, at most {@link #MAX_DURATION} */
    public Builder staleWindow(Duration staleWindow) {
      this.staleWindow = check("staleWindow", staleWindow, true);
      return this;
    }

    /** @param failoverTimeout zero (no limit) or positive, at most {@link #MAX_DURATION} */
    public Builder failoverTimeout(Duration failoverTimeout) {
      this.failoverTimeout = check("failoverTimeout", failoverTimeout, true);
      return this;
    }

    /**
     * Which failures of a call the cache may answer ({@link #ANY_ERROR} by default).
     *
     * @param fallbackOn e.g. {@link #TRANSPORT_ERRORS}, or your own predicate
     * @return this builder
     */
    public Builder fallbackOn(Predicate<Throwable> fallbackOn) {
      this.fallbackOn = Objects.requireNonNull(fallbackOn, "fallbackOn must not be null");
      return this;
    }

    /** @throws IllegalStateException a stale window without a ttl */
    public CachePolicy build() {
      if (refreshAhead > 0 && ttl == null) {
        throw new IllegalStateException("refreshAhead (" + refreshAhead + ") needs a ttl: without one entries never age");
      }
      if (!staleWindow.isZero() && ttl == null && ttlFromReply == null) {
        throw new IllegalStateException("staleWindow (" + staleWindow + ") needs a ttl: without one entries never go stale");
      }
      if (!ttlJitter.isZero() && ttl == null && ttlFromReply == null) {
        throw new IllegalStateException("ttlJitter (" + ttlJitter + ") needs a ttl (or ttlFromReply): without one entries never expire");
      }
      return new CachePolicy(this);
    }

    static Duration check(String name, Duration value, boolean zeroAllowed) {
      if (value == null) {
        throw new IllegalArgumentException(name + " must not be null");
      }
      if (value.isNegative() || (!zeroAllowed && value.isZero())) {
        throw new IllegalArgumentException(name + " must be " + (zeroAllowed ? "zero or positive" : "positive") + ", was " + value);
      }
      if (value.compareTo(MAX_DURATION) > 0) {
        throw new IllegalArgumentException(name + " must be at most " + MAX_DURATION + ", was " + value);
      }
      return value;
    }
  }

  /** A ttl in seconds read from one field of a JSON object reply. */
  private static final class FieldTtl implements Function<Object, Duration> {
    private final String field;

    FieldTtl(String field) {
      this.field = field;
    }

    @Override
    public Duration apply(Object reply) {
      if (!(reply instanceof Map)) {
        return null;
      }
      Object seconds = ((Map<?, ?>) reply).get(field);
      if (!(seconds instanceof Number)) {
        return null;
      }
      double s = ((Number) seconds).doubleValue();
      if (!(s > 0)) {
        return Duration.ZERO; // 0, negative or NaN: do not cache
      }
      return s >= MAX_DURATION.getSeconds() ? MAX_DURATION : Duration.ofMillis(Math.max(1, (long) (s * 1000)));
    }

    @Override
    public String toString() {
      return "field '" + field + "'";
    }
  }

  private static final class Named implements Predicate<Throwable> {
    private final String name;
    private final Predicate<Throwable> test;

    Named(String name, Predicate<Throwable> test) {
      this.name = name;
      this.test = test;
    }

    @Override
    public boolean test(Throwable t) {
      return test.test(t);
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
