package io.github.nameko4j.rpc.internal;

/** Naming rules shared by client and server. */
public final class Names {
  // nameko routes on "<svc>.<method>" with a topic binding "<svc>.*": neither may contain '.', '*', '#' or spaces.
  // Checked by hand rather than by regex: this runs on every call.
  private static boolean valid(String name) {
    char first = name.charAt(0);
    if (!(Character.isLetter(first) && first < 128 || first == '_')) {
      return false;
    }
    for (int i = 1; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private Names() {}

  /** {@code doSomething} → {@code do_something}; {@code getHTTPCode} → {@code get_http_code}. */
  public static String snakeCase(String javaName) {
    StringBuilder out = new StringBuilder(javaName.length() + 4);
    for (int i = 0; i < javaName.length(); i++) {
      char c = javaName.charAt(i);
      if (Character.isUpperCase(c)) {
        boolean prevLower = i > 0 && !Character.isUpperCase(javaName.charAt(i - 1)) && javaName.charAt(i - 1) != '_';
        boolean nextLower = i + 1 < javaName.length() && Character.isLowerCase(javaName.charAt(i + 1));
        boolean prevUpper = i > 0 && Character.isUpperCase(javaName.charAt(i - 1));
        if (i > 0 && (prevLower || (prevUpper && nextLower))) {
          out.append('_');
        }
        out.append(Character.toLowerCase(c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * Checks a service or method name.
   *
   * @throws IllegalArgumentException naming the argument when it is null, blank or not routable
   */
  public static String require(String what, String name) {
    if (name == null) {
      throw new IllegalArgumentException(what + " must not be null");
    }
    if (name.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
    if (!valid(name)) {
      throw new IllegalArgumentException(
          what + " '" + name + "' is not a valid nameko name (letters, digits, '_' and '-'; no '.', '*', '#' or spaces)");
    }
    return name;
  }
}
