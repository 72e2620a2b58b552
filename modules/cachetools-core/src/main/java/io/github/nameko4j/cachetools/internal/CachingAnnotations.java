package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CacheTags;
import io.github.nameko4j.cachetools.Caching;
import io.github.nameko4j.rpc.Kwarg;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;

/** Applies a {@link Caching} annotation to a policy; shared by the builders and framework integrations. */
public final class CachingAnnotations {
  private CachingAnnotations() {}

  /**
   * {@code base} with each setting the annotation gives replaced, the others kept.
   *
   * @param where what the annotation is on, for error messages (e.g. {@code OtherService.doSomething})
   * @throws IllegalArgumentException a setting is not a valid duration; the message names it and where
   */
  public static CachePolicy apply(CachePolicy base, Caching caching, String where) {
    return apply(base, caching, where, null);
  }

  /**
   * As {@link #apply(CachePolicy, Caching, String)} for the annotation on {@code method} of a typed
   * interface, whose tag templates may name its parameters: a positional one becomes its index.
   */
  public static CachePolicy apply(CachePolicy base, Caching caching, String where, Method method) {
    CachePolicy.Builder b = CachePolicy.from(base);
    try {
      if (!caching.ttl().isEmpty()) {
        b.ttl(Durations.parse("@Caching(ttl) on " + where, caching.ttl()));
      }
      if (!caching.staleWindow().isEmpty()) {
        b.staleWindow(Durations.parse("@Caching(staleWindow) on " + where, caching.staleWindow()));
      }
      if (!caching.ttlJitter().isEmpty()) {
        b.ttlJitter(Durations.parse("@Caching(ttlJitter) on " + where, caching.ttlJitter()));
      }
      if (!caching.ttlFromField().isEmpty()) {
        b.ttlFromField(caching.ttlFromField());
      }
      if (!caching.failoverTimeout().isEmpty()) {
        b.failoverTimeout(Durations.parse("@Caching(failoverTimeout) on " + where, caching.failoverTimeout()));
      }
      if (caching.tags().length > 0) {
        b.tags(CacheTags.template(method == null ? caching.tags() : byIndex(caching.tags(), method)));
      }
      return b.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      String message = e.getMessage().startsWith("@Caching") ? e.getMessage() : "@Caching on " + where + ": " + e.getMessage();
      throw new IllegalArgumentException(message, e);
    }
  }

  /** {@code {name}} of a positional parameter becomes {@code {index}}: a typed call sends it by position. */
  private static String[] byIndex(String[] templates, Method method) {
    String[] out = templates.clone();
    int position = 0;
    for (Parameter p : method.getParameters()) {
      if (p.getAnnotation(Kwarg.class) != null) {
        continue; // sent by name: its placeholder already names it
      }
      if (p.isNamePresent()) {
        for (int i = 0; i < out.length; i++) {
          out[i] = out[i].replace("{" + p.getName() + "}", "{" + position + "}");
        }
      }
      position++;
    }
    return out;
  }
}
