package io.github.nameko4j.cachetools;

import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tags of a cached reply, from the call's arguments or the reply itself: {@link
 * CacheControl#invalidateTag} drops every reply so tagged, whatever its method or service, in
 * every replica sharing the store. A service that announces a change once (an event) can so drop
 * every cached reply that depended on it.
 *
 * <pre>{@code
 * // get_product(42) and list_reviews(product_id=42) both depend on product 42
 * CachePolicy.custom().tags(CacheTags.template("product:{0}")).build();
 * CachePolicy.custom().tags(CacheTags.template("product:{product_id}")).build();
 * CachePolicy.custom().tags((method, args, kwargs, reply) -> List.of("user:" + ((Map<?, ?>) reply).get("owner"))).build();
 * }</pre>
 *
 * <p>Implementations must be thread-safe and quick. A reply whose tags cannot be computed (the
 * function throws, or gives too many or too long) is returned to its caller but not cached, with a
 * warning: an untagged copy could outlive an invalidation of its tag.
 */
@FunctionalInterface
public interface CacheTags {

  /** No tags: the default. */
  CacheTags NONE = (method, args, kwargs, reply) -> List.of();

  /**
   * The tags of one reply.
   *
   * @param method the method's nameko name
   * @param args the positional arguments
   * @param kwargs the keyword arguments
   * @param reply the reply, as the service returned it
   * @return its tags (at most 32, each at most 512 bytes in UTF-8); never null
   */
  Collection<String> of(String method, List<?> args, Map<String, ?> kwargs, Object reply);

  /**
   * Tags from templates: {@code {0}}, {@code {1}}... a positional argument; {@code {name}} a
   * keyword argument; {@code {reply}} the reply, {@code {reply.field}} a field of a map or record
   * reply (a path: {@code {reply.owner.id}}). A template whose value is missing gives no tag.
   *
   * @param templates e.g. {@code "product:{0}"}
   * @return the tags
   * @throws IllegalArgumentException a template with an empty or unclosed placeholder
   */
  static CacheTags template(String... templates) {
    List<String> all = List.of(templates);
    Pattern placeholder = Pattern.compile("\\{([^{}]*)}");
    for (String t : all) {
      Objects.requireNonNull(t, "template must not be null");
      Matcher m = placeholder.matcher(t);
      while (m.find()) {
        if (m.group(1).isBlank()) {
          throw new IllegalArgumentException("tag template '" + t + "' has an empty placeholder {}");
        }
      }
      if (m.replaceAll("").contains("{") || m.replaceAll("").contains("}")) {
        throw new IllegalArgumentException("tag template '" + t + "' has an unclosed placeholder");
      }
    }
    return new CacheTags() {
      @Override
      public Collection<String> of(String method, List<?> args, Map<String, ?> kwargs, Object reply) {
        List<String> tags = new ArrayList<>(all.size());
        for (String t : all) {
          Matcher m = placeholder.matcher(t);
          StringBuilder out = new StringBuilder();
          boolean complete = true;
          while (m.find()) {
            Object v = resolve(m.group(1).trim(), args, kwargs, reply);
            if (v == null) {
              complete = false;
              break;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(String.valueOf(v)));
          }
          if (complete) {
            m.appendTail(out);
            tags.add(out.toString());
          }
        }
        return tags;
      }

      @Override
      public String toString() {
        return "CacheTags.template" + all;
      }
    };
  }

  private static Object resolve(String name, List<?> args, Map<String, ?> kwargs, Object reply) {
    if (name.chars().allMatch(Character::isDigit)) {
      int i = Integer.parseInt(name);
      return i < args.size() ? args.get(i) : null;
    }
    if (name.equals("reply") || name.startsWith("reply.")) {
      Object v = reply;
      for (String part : name.equals("reply") ? new String[0] : name.substring("reply.".length()).split("\\.")) {
        v = field(v, part);
        if (v == null) {
          return null;
        }
      }
      return v;
    }
    return kwargs.get(name);
  }

  private static Object field(Object value, String name) {
    if (value instanceof Map) {
      return ((Map<?, ?>) value).get(name);
    }
    if (value != null && value.getClass().isRecord()) {
      for (RecordComponent c : value.getClass().getRecordComponents()) {
        if (c.getName().equals(name)) {
          try {
            Method accessor = c.getAccessor();
            accessor.setAccessible(true);
            return accessor.invoke(value);
          } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
          }
        }
      }
    }
    return null;
  }
}
