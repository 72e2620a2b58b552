package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.Address;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The broker a client or server connects to, parsed from nameko-style URIs: {@code
 * amqp://user:pass@host:5672/vhost}, also {@code amqps://}, kombu's {@code pyamqp://} and {@code
 * librabbitmq://} (both mean {@code amqp://}), and several nodes of a cluster separated by {@code
 * ;} as kombu accepts them ({@code amqp://u:p@a:5672;amqp://u:p@b:5672}). Immutable.
 *
 * <p>Strict on purpose: a URI that {@link URI} cannot parse, or that parses to something else than
 * it says (no host, an {@code @} in the path), is refused with a message naming the problem, never
 * connected with defaults. Passwords never appear in any message or {@link #toString()}.
 */
public final class BrokerUri {
  /** A scheme at the start of a URI in a list; ';' before it separates two URIs. */
  private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://");
  private static final String ENCODE_HINT = " (characters such as @ / ? # in a password must be percent-encoded, e.g. # as %23)";

  private final boolean tls;
  private final String username;
  private final String password;
  private final String virtualHost;
  private final List<Address> addresses;
  private final String redacted;

  private BrokerUri(boolean tls, String username, String password, String virtualHost, List<Address> addresses, String redacted) {
    this.tls = tls;
    this.username = username;
    this.password = password;
    this.virtualHost = virtualHost;
    this.addresses = List.copyOf(addresses);
    this.redacted = redacted;
  }

  /**
   * Parses one URI or a {@code ;}-separated list of them. All URIs of a list must agree on scheme,
   * credentials and virtual host: they name the nodes of one cluster. An empty path, {@code /} and
   * {@code //} all mean the virtual host {@code /}, as in kombu. Query parameters (kombu transport
   * options) are ignored.
   *
   * @throws IllegalArgumentException the text is not such a URI; the message says why, without the password
   */
  public static BrokerUri parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("AMQP URI must not be null or blank");
    }
    List<String> parts = split(text.trim());
    BrokerUri first = null;
    List<Address> addresses = new ArrayList<>();
    for (String part : parts) {
      BrokerUri one = parseOne(part);
      if (first == null) {
        first = one;
      } else if (first.tls != one.tls || !first.username.equals(one.username) || !first.password.equals(one.password)
          || !first.virtualHost.equals(one.virtualHost)) {
        throw new IllegalArgumentException("AMQP URIs in the list " + redact(text)
            + " disagree on scheme, credentials or virtual host: they must name nodes of one cluster");
      }
      addresses.addAll(one.addresses);
    }
    return new BrokerUri(first.tls, first.username, first.password, first.virtualHost, addresses, redact(text));
  }

  /** Splits at each ';' that starts another URI (a ';' inside a password is left alone). */
  private static List<String> split(String text) {
    List<String> parts = new ArrayList<>();
    Matcher m = SCHEME.matcher(text);
    int start = 0;
    while (m.find()) {
      int semicolon = text.lastIndexOf(';', m.start());
      if (m.start() > 0 && semicolon >= start && text.substring(semicolon + 1, m.start()).isBlank()) {
        parts.add(text.substring(start, semicolon).trim());
        start = m.start();
      }
    }
    parts.add(text.substring(start).trim());
    return parts;
  }

  private static BrokerUri parseOne(String text) {
    String shown = redact(text);
    int colon = text.indexOf("://");
    if (colon <= 0) {
      throw new IllegalArgumentException("invalid AMQP URI " + shown + ": expected scheme://host, e.g. amqp://guest:guest@localhost:5672/");
    }
    String scheme = text.substring(0, colon).toLowerCase(Locale.ROOT);
    boolean tls;
    switch (scheme) {
      case "amqp":
      case "pyamqp":
      case "librabbitmq":
        tls = false;
        break;
      case "amqps":
        tls = true;
        break;
      default:
        throw new IllegalArgumentException("invalid AMQP URI " + shown + ": unsupported scheme '" + scheme
            + "' (expected amqp, amqps, pyamqp or librabbitmq)");
    }
    if (text.indexOf('#') >= 0) {
      throw new IllegalArgumentException("invalid AMQP URI " + shown + ": it contains '#'" + ENCODE_HINT);
    }
    URI uri;
    try {
      uri = new URI((tls ? "amqps" : "amqp") + text.substring(colon));
    } catch (URISyntaxException e) {
      // e.getMessage() quotes the input, password included: give only the reason.
      throw new IllegalArgumentException("invalid AMQP URI " + shown + ": " + e.getReason() + ENCODE_HINT);
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      String authority = uri.getRawAuthority();
      if (authority != null && authority.indexOf('@') != authority.lastIndexOf('@')) {
        // java.net.URI finds no host when a password holds a raw '@': say what is really wrong.
        throw new IllegalArgumentException("invalid AMQP URI " + shown + ": the user name or password holds an '@', "
            + "which must be percent-encoded as %40");
      }
      throw new IllegalArgumentException("invalid AMQP URI " + shown + ": it has no host" + ENCODE_HINT);
    }
    if (uri.getPort() > 65_535) {
      throw new IllegalArgumentException("invalid AMQP URI " + shown + ": port " + uri.getPort() + " is not between 1 and 65535");
    }
    if (contains(uri.getRawPath(), '@') || contains(uri.getRawQuery(), '@')) {
      throw new IllegalArgumentException("invalid AMQP URI " + shown + ": '@' after the host" + ENCODE_HINT);
    }
    String user = "guest";
    String pass = "guest";
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int sep = userInfo.indexOf(':');
      user = decode(sep < 0 ? userInfo : userInfo.substring(0, sep), shown);
      pass = sep < 0 ? "" : decode(userInfo.substring(sep + 1), shown);
    }
    String path = uri.getRawPath();
    String vhost = path == null || path.isEmpty() || path.equals("/") ? "/" : decode(path.substring(1), shown);
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 5671 : 5672;
    String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
    return new BrokerUri(tls, user, pass, vhost, List.of(new Address(host, port)), shown);
  }

  private static boolean contains(String s, char c) {
    return s != null && s.indexOf(c) >= 0;
  }

  /** Percent-decoding as RFC 3986 means it ('+' stays '+', unlike form decoding). */
  private static String decode(String raw, String shown) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length() || Character.digit(raw.charAt(i + 1), 16) < 0 || Character.digit(raw.charAt(i + 2), 16) < 0) {
          throw new IllegalArgumentException("invalid AMQP URI " + shown + ": bad percent-encoding");
        }
        out.write(Character.digit(raw.charAt(i + 1), 16) * 16 + Character.digit(raw.charAt(i + 2), 16));
        i += 2;
      } else {
        byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * The text with every password replaced by {@code ***}: whatever the password contains, since
   * the user part ends at the last {@code @} before the next URI of a list.
   */
  public static String redact(String text) {
    if (text == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(text.length());
    Matcher m = SCHEME.matcher(text);
    List<int[]> starts = new ArrayList<>();
    while (m.find()) {
      starts.add(new int[] {m.start(), m.end()});
    }
    if (starts.isEmpty()) {
      return text.indexOf('@') >= 0 ? "<unparseable URI>" : text;
    }
    out.append(text, 0, starts.get(0)[0]);
    for (int i = 0; i < starts.size(); i++) {
      int authority = starts.get(i)[1];
      int end = i + 1 < starts.size() ? starts.get(i + 1)[0] : text.length();
      out.append(text, starts.get(i)[0], authority);
      int at = text.lastIndexOf('@', end - 1);
      if (at >= authority) {
        String userInfo = text.substring(authority, at);
        int sep = userInfo.indexOf(':');
        out.append(sep < 0 ? userInfo : userInfo.substring(0, sep) + ":***").append(text, at, end);
      } else {
        out.append(text, authority, end);
      }
    }
    return out.toString();
  }

  public boolean tls() {
    return tls;
  }

  public String username() {
    return username;
  }

  /** The password, for the connection factory only. */
  String password() {
    return password;
  }

  public String virtualHost() {
    return virtualHost;
  }

  /** Every node given, in order. */
  public List<Address> addresses() {
    return addresses;
  }

  /** The URI(s) as given, passwords replaced by {@code ***}. */
  @Override
  public String toString() {
    return redacted;
  }
}
