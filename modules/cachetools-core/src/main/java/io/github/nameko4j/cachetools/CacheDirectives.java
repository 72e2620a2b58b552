package io.github.nameko4j.cachetools;

import io.github.nameko4j.rpc.RpcContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Cache control that travels with a call, in HTTP's request syntax: {@code no-cache} (skip cached
 * replies and refresh them), {@code no-store} (do not cache this reply), {@code max-age=N} (accept
 * only a reply cached at most N seconds ago), {@code max-stale[=N]} (accept a reply past its ttl,
 * by at most N seconds, or by any time). Immutable and thread-safe.
 *
 * <p>They travel as the context data key {@link #CONTEXT_KEY} ({@code cache_control}, the header
 * {@code nameko.cache_control}), which nameko, Python and Java alike, passes on to every call the
 * service makes: a caller at the top of a chain controls every caching proxy below it that
 * {@linkplain CachingProxyBuilder#acceptCacheControl accepts them}. A proxy accepts none unless
 * told: an untrusted caller must not be able to flush a cache at will.
 *
 * <pre>{@code
 * // Java, per call (outside or inside a service method):
 * Object fresh = CacheDirectives.parse("no-cache").callWith(() -> proxy.call("get_price", 42));
 * // Python, for everything the call leads to:
 * //   ClusterRpcProxy(config, context_data={"cache_control": "max-stale=300"})
 * }</pre>
 */
public final class CacheDirectives {
  /** The context data key: {@code cache_control} (header {@code nameko.cache_control}). */
  public static final String CONTEXT_KEY = "cache_control";

  /** No directive. */
  public static final CacheDirectives NONE = new CacheDirectives(false, false, null, null);

  /** Longer than this, a header from the wire is ignored whole: it is not one a caller writes. */
  private static final int MAX_HEADER_CHARS = 256;

  /** One directive, as a proxy's {@link CachingProxyBuilder#acceptCacheControl} names it. */
  public enum Directive {
    /** Skip cached replies and refresh them: every such call asks the service. */
    NO_CACHE("no-cache"),
    /** Do not cache the reply. */
    NO_STORE("no-store"),
    /** Accept only replies cached at most N seconds ago (others are a miss: the service is asked). */
    MAX_AGE("max-age"),
    /** CacheFirstRpcProxy: accept replies past their ttl, by at most N seconds (kept by the stale window). */
    MAX_STALE("max-stale");

    private final String token;

    Directive(String token) {
      this.token = token;
    }

    /** @return the directive as written, e.g. {@code no-cache} */
    public String token() {
      return token;
    }
  }

  private final boolean noCache;
  private final boolean noStore;
  private final Duration maxAge; // null: none
  private final Duration maxStale; // null: none; MAX_DURATION: any staleness

  private CacheDirectives(boolean noCache, boolean noStore, Duration maxAge, Duration maxStale) {
    this.noCache = noCache;
    this.noStore = noStore;
    this.maxAge = maxAge;
    this.maxStale = maxStale;
  }

  /** @return {@code no-cache} */
  public static CacheDirectives noCache() {
    return new CacheDirectives(true, false, null, null);
  }

  /** @return {@code no-store} */
  public static CacheDirectives noStore() {
    return new CacheDirectives(false, true, null, null);
  }

  /**
   * @param age zero or positive, in whole seconds on the wire
   * @return {@code max-age=N}
   */
  public static CacheDirectives maxAge(Duration age) {
    return new CacheDirectives(false, false, check("max-age", age), null);
  }

  /**
   * @param staleness zero or positive, in whole seconds on the wire
   * @return {@code max-stale=N}
   */
  public static CacheDirectives maxStale(Duration staleness) {
    return new CacheDirectives(false, false, null, check("max-stale", staleness));
  }

  /** @return {@code max-stale}: any staleness */
  public static CacheDirectives anyStale() {
    return new CacheDirectives(false, false, null, CachePolicy.MAX_DURATION);
  }

  /**
   * Both: this and {@code other}'s directives (the other's value wins where both give one).
   *
   * @return the combination
   */
  public CacheDirectives and(CacheDirectives other) {
    Objects.requireNonNull(other, "other must not be null");
    return new CacheDirectives(noCache || other.noCache, noStore || other.noStore,
        other.maxAge != null ? other.maxAge : maxAge, other.maxStale != null ? other.maxStale : maxStale);
  }

  /**
   * Parses a header such as {@code no-cache} or {@code max-age=60, max-stale=300}: directives
   * separated by commas, case-insensitive, values in whole seconds.
   *
   * @throws IllegalArgumentException an unknown directive, a missing or invalid value, naming it
   */
  public static CacheDirectives parse(String header) {
    Objects.requireNonNull(header, "cache control header must not be null");
    return parse(header, true);
  }

  /**
   * The directives a call's context data carries, leniently: as HTTP does, unknown directives and
   * invalid values are ignored; anything that is not a short string is no directive at all. For
   * what arrives from other services.
   *
   * @param value the context data value of {@link #CONTEXT_KEY}, or null
   * @return the directives, {@link #NONE} if none
   */
  public static CacheDirectives fromContextValue(Object value) {
    if (!(value instanceof String) || ((String) value).length() > MAX_HEADER_CHARS) {
      return NONE;
    }
    return parse((String) value, false);
  }

  private static CacheDirectives parse(String header, boolean strict) {
    boolean noCache = false;
    boolean noStore = false;
    Duration maxAge = null;
    Duration maxStale = null;
    for (String part : header.split(",")) {
      String directive = part.trim().toLowerCase(Locale.ROOT);
      if (directive.isEmpty()) {
        continue;
      }
      int eq = directive.indexOf('=');
      String name = (eq < 0 ? directive : directive.substring(0, eq)).trim();
      String value = eq < 0 ? null : directive.substring(eq + 1).trim();
      try {
        switch (name) {
          case "no-cache":
            noCache = noValue(name, value);
            break;
          case "no-store":
            noStore = noValue(name, value);
            break;
          case "max-age":
            maxAge = seconds(name, value, false);
            break;
          case "max-stale":
            maxStale = seconds(name, value, true);
            break;
          default:
            throw new IllegalArgumentException("unknown cache control directive '" + name
                + "' (known: no-cache, no-store, max-age=N, max-stale[=N])");
        }
      } catch (IllegalArgumentException e) {
        if (strict) {
          throw new IllegalArgumentException("cache control '" + header + "': " + e.getMessage(), e);
        }
      }
    }
    return noCache || noStore || maxAge != null || maxStale != null ? new CacheDirectives(noCache, noStore, maxAge, maxStale) : NONE;
  }

  private static boolean noValue(String name, String value) {
    if (value != null) {
      throw new IllegalArgumentException(name + " takes no value");
    }
    return true;
  }

  private static Duration seconds(String name, String value, boolean optional) {
    if (value == null) {
      if (optional) {
        return CachePolicy.MAX_DURATION;
      }
      throw new IllegalArgumentException(name + " needs a number of seconds, e.g. " + name + "=60");
    }
    if (value.startsWith("\"") && value.endsWith("\"") && value.length() >= 2) {
      value = value.substring(1, value.length() - 1); // HTTP allows a quoted value
    }
    if (value.isEmpty() || value.length() > 10 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(name + " needs a whole number of seconds, was '" + value + "'");
    }
    long s = Long.parseLong(value);
    return s >= CachePolicy.MAX_DURATION.getSeconds() ? CachePolicy.MAX_DURATION : Duration.ofSeconds(s);
  }

  private static Duration check(String name, Duration value) {
    Objects.requireNonNull(value, name + " must not be null");
    if (value.isNegative()) {
      throw new IllegalArgumentException(name + " must be zero or positive, was " + value);
    }
    return value.compareTo(CachePolicy.MAX_DURATION) > 0 ? CachePolicy.MAX_DURATION : value;
  }

  /**
   * Only the directives in {@code accepted}: what a proxy applies.
   *
   * @return the directives kept
   */
  public CacheDirectives onlyOf(Set<Directive> accepted) {
    if (this == NONE || accepted.containsAll(directives())) {
      return this;
    }
    CacheDirectives kept = new CacheDirectives(noCache && accepted.contains(Directive.NO_CACHE),
        noStore && accepted.contains(Directive.NO_STORE), accepted.contains(Directive.MAX_AGE) ? maxAge : null,
        accepted.contains(Directive.MAX_STALE) ? maxStale : null);
    return kept.isEmpty() ? NONE : kept;
  }

  /** @return true if no directive is given */
  public boolean isEmpty() {
    return !noCache && !noStore && maxAge == null && maxStale == null;
  }

  /** @return the directives given */
  public Set<Directive> directives() {
    Set<Directive> set = EnumSet.noneOf(Directive.class);
    if (noCache) {
      set.add(Directive.NO_CACHE);
    }
    if (noStore) {
      set.add(Directive.NO_STORE);
    }
    if (maxAge != null) {
      set.add(Directive.MAX_AGE);
    }
    if (maxStale != null) {
      set.add(Directive.MAX_STALE);
    }
    return Collections.unmodifiableSet(set);
  }

  /** @return true for {@code no-cache} */
  public boolean isNoCache() {
    return noCache;
  }

  /** @return true for {@code no-store} */
  public boolean isNoStore() {
    return noStore;
  }

  /** @return {@code max-age}, or null */
  public Duration maxAge() {
    return maxAge;
  }

  /** @return {@code max-stale}, or null; {@link CachePolicy#MAX_DURATION} for any staleness */
  public Duration maxStale() {
    return maxStale;
  }

  /**
   * Runs {@code body} with these directives added to the context data of every call and event it
   * makes on this thread (see {@link RpcContext#withData}).
   *
   * @return what {@code body} returned
   */
  public <T> T callWith(Supplier<T> body) {
    Objects.requireNonNull(body, "body must not be null");
    try {
      return RpcContext.withData(Map.of(CONTEXT_KEY, toString())).callWith(body::get);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e); // a Supplier throws no checked exception
    }
  }

  /** @return the directive names, comma separated, e.g. {@code no-cache,max-age}; {@code none} if empty: for tags */
  public String names() {
    if (isEmpty()) {
      return "none";
    }
    List<String> names = new ArrayList<>(4);
    for (Directive d : directives()) {
      names.add(d.token());
    }
    return String.join(",", names);
  }

  /** @return the header, e.g. {@code no-cache, max-age=60} */
  @Override
  public String toString() {
    List<String> parts = new ArrayList<>(4);
    if (noCache) {
      parts.add("no-cache");
    }
    if (noStore) {
      parts.add("no-store");
    }
    if (maxAge != null) {
      parts.add("max-age=" + maxAge.getSeconds());
    }
    if (maxStale != null) {
      parts.add(maxStale.equals(CachePolicy.MAX_DURATION) ? "max-stale" : "max-stale=" + maxStale.getSeconds());
    }
    return String.join(", ", parts);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof CacheDirectives)) {
      return false;
    }
    CacheDirectives d = (CacheDirectives) o;
    return noCache == d.noCache && noStore == d.noStore && Objects.equals(maxAge, d.maxAge) && Objects.equals(maxStale, d.maxStale);
  }

  @Override
  public int hashCode() {
    return Objects.hash(noCache, noStore, maxAge, maxStale);
  }
}
