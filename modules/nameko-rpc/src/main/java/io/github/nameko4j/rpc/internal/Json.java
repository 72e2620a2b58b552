package io.github.nameko4j.rpc.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.module.paramnames.ParameterNamesModule;
import io.github.nameko4j.rpc.CodecException;
import java.io.IOException;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.UUID;

/**
 * JSON as nameko's kombu serializer writes and reads it (PROTOCOL.md §7). Thread-safe.
 *
 * <p>Writes: non-ASCII escaped as {@code \\uXXXX}, NaN and Infinity as bare tokens, non-string map
 * keys as their string form, dates as ISO strings (a date as midnight), decimals and UUIDs as
 * strings. Reads: any valid JSON plus NaN/Infinity; integers as Integer, Long or BigInteger as they
 * fit, never through double; kombu 5.3's tagged objects ({@code __type__}/{@code __value__}) as Java
 * values.
 */
public final class Json {

  /** Deeper than this is refused: it guards against cyclic structures and stack exhaustion. */
  public static final int MAX_DEPTH = 500;
  /**
   * Longest integer read, in digits: Python's own limit on converting text to int (3.11+'s
   * {@code sys.get_int_max_str_digits()}), so we read every integer a Python service can write.
   * Also bounds a decimal's digits.
   */
  public static final int MAX_NUMBER_DIGITS = 4300;
  /**
   * Largest decimal exponent read (as in {@code 1E+6144}): IEEE 754 decimal128's. A decimal is
   * written back in scientific notation, so its size never depends on its exponent, but a service
   * that calls {@code toPlainString()} or adds 1 would otherwise build a number of 140 million
   * digits from a 50-byte request.
   */
  public static final int MAX_DECIMAL_EXPONENT = 6144;
  /** Longest string read: RabbitMQ's largest message, so any string a message can hold. */
  public static final int MAX_STRING_LENGTH = 512 * 1024 * 1024;

  private static final ObjectMapper MAPPER = newMapper();
  private static final Pattern JACKSON_LOCATION = Pattern.compile("\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]");

  private Json() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  private static ObjectMapper newMapper() {
    SimpleModule time = new SimpleModule("nameko-kombu-types");
    time.addSerializer(LocalDateTime.class, stringOf(v -> v.format(DateTimeFormatter.ISO_LOCAL_DATE_TIME)));
    time.addSerializer(LocalDate.class, stringOf(v -> v.atStartOfDay().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME)));
    time.addSerializer(LocalTime.class, stringOf(v -> v.format(DateTimeFormatter.ISO_LOCAL_TIME)));
    time.addSerializer(Instant.class, stringOf(v -> DateTimeFormatter.ISO_INSTANT.format(v)));
    time.addSerializer(OffsetDateTime.class, stringOf(Json::isoOffset));
    time.addSerializer(ZonedDateTime.class, stringOf(v -> isoOffset(v.toOffsetDateTime())));
    // toString() is Python's str(Decimal) (both follow the General Decimal Arithmetic spec):
    // 1E+140000000 stays 12 characters instead of 140 million.
    time.addSerializer(BigDecimal.class, stringOf(BigDecimal::toString));
    time.addSerializer(byte[].class, stringOf(v -> Base64.getEncoder().encodeToString(v)));
    time.addSerializer(String.class, new AsciiStringSerializer());
    // Bounds on numbers whatever form they come in (a plain string included), before any method sees them.
    time.addDeserializer(BigDecimal.class, new BoundedNumbers.Decimals());
    time.addDeserializer(BigInteger.class, new BoundedNumbers.Integers());
    JsonFactoryBuilder settings = new JsonFactoryBuilder();
    settings.streamReadConstraints(StreamReadConstraints.builder()
            .maxNumberLength(MAX_NUMBER_DIGITS)
            .maxStringLength(MAX_STRING_LENGTH)
            .maxNestingDepth(MAX_DEPTH + 10)
            .build());
    JsonFactory factory = new LongStringsJsonFactory(settings);
    ObjectMapper mapper =
        JsonMapper.builder(factory)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS) // as Python's json.loads: "[1] x" is not JSON
            .addModule(time)
            .addModule(new Jdk8Module()) // Optional<T>: a JSON null is empty
            // A class with one constructor taking its fields (compiled with -parameters) is built
            // through it, as a record is: no default constructor or annotations needed.
            .addModule(new ParameterNamesModule())
            .build();
    mapper.getSerializerProvider().setNullKeySerializer(new NullKeySerializer());
    return mapper;
  }

  private static String isoOffset(OffsetDateTime v) {
    return v.getOffset().equals(ZoneOffset.UTC)
        ? DateTimeFormatter.ISO_INSTANT.format(v.toInstant())
        : v.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
  }

  private interface Format<T> {
    String apply(T value);
  }

  private static <T> JsonSerializer<T> stringOf(Format<T> format) {
    return new JsonSerializer<T>() {
      @Override
      public void serialize(T value, JsonGenerator gen, SerializerProvider provider)
          throws IOException {
        gen.writeString(format.apply(value));
      }
    };
  }

  /** Python writes a None key as "null". */
  private static final class NullKeySerializer extends JsonSerializer<Object> {
    @Override
    public void serialize(Object value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeFieldName("null");
    }
  }

  /** Encodes any value; refuses the tagged-object shape, which kombu 5.3 would turn into a type. */
  public static byte[] encode(Object value) {
    checkEncodable(value, 0);
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException | RuntimeException e) {
      throw new CodecException("cannot encode " + describe(value) + " as JSON: " + e.getMessage(), e);
    }
  }

  /**
   * Encodes a value for people to read: UTF-8, non-ASCII characters as themselves rather than
   * escaped as kombu sends them (the command-line tool prints this).
   */
  public static byte[] encodeReadable(Object value) {
    checkEncodable(value, 0);
    try {
      return MAPPER.writer().without(JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature()).writeValueAsBytes(value);
    } catch (IOException | RuntimeException e) {
      throw new CodecException("cannot encode " + describe(value) + " as JSON: " + e.getMessage(), e);
    }
  }

  /** Decodes a JSON document to Map, List, String, Integer/Long/BigInteger, Double, Boolean or null. */
  public static Object decode(byte[] body, Charset charset) {
    Object tree;
    try {
      tree = StandardCharsets.UTF_8.equals(charset)
          ? MAPPER.readValue(body, Object.class)
          : MAPPER.readValue(new String(body, charset), Object.class);
    } catch (IOException | RuntimeException e) {
      throw new CodecException("invalid JSON: " + jsonProblem(e), e);
    }
    return untag(tree, 0);
  }

  /**
   * The charset a message's {@code content_encoding} names, as Python's codec names go ({@code
   * latin-1}, {@code utf_8} are not all Java aliases); UTF-8 when absent or unknown.
   */
  public static Charset charset(String encoding) {
    if (encoding == null || encoding.isBlank() || encoding.equalsIgnoreCase("utf-8")) {
      return StandardCharsets.UTF_8; // the common case, at no cost per message
    }
    for (String name : new String[] {encoding.trim(), encoding.trim().replace("-", "").replace("_", "")}) {
      try {
        return Charset.forName(name);
      } catch (IllegalArgumentException e) {
        // try the next spelling
      }
    }
    return StandardCharsets.UTF_8;
  }

  /** Converts a decoded value to a Java type, e.g. a record or {@code List<Integer>}. */
  public static Object convert(Object value, Type type) {
    if (type == Object.class || type == void.class || type == Void.class) {
      return type == Object.class ? value : null;
    }
    JavaType javaType = MAPPER.getTypeFactory().constructType(type);
    if (value != null && javaType.getRawClass().isInstance(value) && !javaType.isContainerType()) {
      return value;
    }
    try {
      return MAPPER.convertValue(value, javaType);
    } catch (IllegalArgumentException e) {
      throw new CodecException(
          "cannot convert " + describe(value) + " to " + javaType.toCanonical() + ": " + rootMessage(e), e);
    }
  }

  /** Jackson's complaint without its source excerpt: "Unexpected character ('x') (line 1, column 2)". */
  static String jsonProblem(Exception e) {
    if (e instanceof JsonProcessingException) {
      JsonProcessingException j = (JsonProcessingException) e;
      JsonLocation at = j.getLocation();
      String message = j.getOriginalMessage();
      int newline = message == null ? -1 : message.indexOf('\n');
      String first = newline < 0 ? String.valueOf(message) : message.substring(0, newline);
      // Jackson points at an earlier place as "[Source: REDACTED (...); line: 1, column: 1]".
      first = JACKSON_LOCATION.matcher(first).replaceAll("line $1, column $2");
      return at == null ? first : first + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
    return rootMessage(e);
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String message = t.getMessage();
    int newline = message == null ? -1 : message.indexOf('\n');
    return newline < 0 ? String.valueOf(message) : message.substring(0, newline);
  }

  /** A short description of a value for error messages: its type, never its content. */
  public static String describe(Object value) {
    return value == null ? "null" : "a value of type " + value.getClass().getName();
  }

  private static void checkEncodable(Object value, int depth) {
    if (depth > MAX_DEPTH) {
      throw new CodecException(
          "structure nested deeper than " + MAX_DEPTH + " levels (is it cyclic?)");
    }
    if (value instanceof Map) {
      Map<?, ?> map = (Map<?, ?>) value;
      if (map.size() == 2 && map.containsKey("__type__") && map.containsKey("__value__")) {
        throw new CodecException(
            "a map whose only keys are __type__ and __value__ would be read by kombu 5.3+ as a tagged value; refusing to send it");
      }
      for (Object v : map.values()) {
        checkEncodable(v, depth + 1);
      }
    } else if (value instanceof Collection) {
      for (Object v : (Collection<?>) value) {
        checkEncodable(v, depth + 1);
      }
    } else if (value instanceof Object[]) {
      for (Object v : (Object[]) value) {
        checkEncodable(v, depth + 1);
      }
    }
  }

  /** Turns kombu 5.3 tagged objects into Java values, recursively. */
  private static Object untag(Object value, int depth) {
    if (depth > MAX_DEPTH) {
      throw new CodecException("JSON nested deeper than " + MAX_DEPTH + " levels");
    }
    if (value instanceof Map) {
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) value;
      if (map.size() == 2 && map.containsKey("__type__") && map.containsKey("__value__")) {
        return fromTag(String.valueOf(map.get("__type__")), map.get("__value__"));
      }
      for (Map.Entry<String, Object> e : map.entrySet()) {
        Object v = e.getValue();
        if (v instanceof Map || v instanceof List) {
          e.setValue(untag(v, depth + 1));
        }
      }
      return map;
    }
    if (value instanceof List) {
      @SuppressWarnings("unchecked")
      List<Object> list = (List<Object>) value;
      for (int i = 0; i < list.size(); i++) {
        Object v = list.get(i);
        if (v instanceof Map || v instanceof List) {
          list.set(i, untag(v, depth + 1));
        }
      }
    }
    return value;
  }

  private static Object fromTag(String tag, Object raw) {
    String text = String.valueOf(raw);
    try {
      switch (tag) {
        case "datetime":
          return text.endsWith("Z") || text.matches(".*[+-]\\d\\d:\\d\\d$")
              ? OffsetDateTime.parse(text)
              : LocalDateTime.parse(text);
        case "date":
          return LocalDate.parse(text);
        case "time":
          return LocalTime.parse(text);
        case "decimal":
          return decimal(text);
        case "uuid":
          return UUID.fromString(text);
        case "bytes":
          return text.getBytes(StandardCharsets.UTF_8);
        case "base64":
          return Base64.getDecoder().decode(text);
        default:
          throw new CodecException("unknown kombu tagged type `" + tag + "`");
      }
    } catch (RuntimeException e) {
      if (e instanceof CodecException) {
        throw e;
      }
      throw new CodecException("bad kombu tagged value of type `" + tag + "`: " + e.getMessage(), e);
    }
  }

  /**
   * A decimal within {@link #MAX_NUMBER_DIGITS} digits and {@link #MAX_DECIMAL_EXPONENT}, in any
   * of the forms one arrives in: kombu's tagged form, a plain string (as older kombu sends a
   * Decimal) or a JSON number.
   *
   * @throws CodecException out of those bounds, or not a number
   */
  static BigDecimal decimal(String text) {
    if (text.length() > MAX_NUMBER_DIGITS + 16) {
      throw new CodecException("decimal of " + text.length() + " characters is longer than " + MAX_NUMBER_DIGITS + " digits");
    }
    BigDecimal value;
    try {
      value = new BigDecimal(text.trim());
    } catch (NumberFormatException e) {
      throw new CodecException("not a decimal number: '" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "'");
    }
    return bounded(value);
  }

  /** {@code value}, if within the bounds of {@link #decimal(String)}. */
  static BigDecimal bounded(BigDecimal value) {
    long exponent = (long) value.precision() - value.scale() - 1; // of the leading digit
    if (Math.abs(exponent) > MAX_DECIMAL_EXPONENT || Math.abs((long) value.scale()) > MAX_DECIMAL_EXPONENT + MAX_NUMBER_DIGITS) {
      throw new CodecException("decimal exponent out of range (at most " + MAX_DECIMAL_EXPONENT + " either way)");
    }
    if (value.precision() > MAX_NUMBER_DIGITS) {
      throw new CodecException("decimal of " + value.precision() + " digits is longer than " + MAX_NUMBER_DIGITS + " digits");
    }
    return value;
  }

  /** The request body, keys in nameko's order. */
  public static byte[] encodeRequest(List<?> args, Map<String, ?> kwargs) {
    Map<String, Object> body = new LinkedHashMap<>(4);
    body.put("args", args);
    body.put("kwargs", kwargs);
    try {
      return encode(body);
    } catch (CodecException e) {
      throw new CodecException(culprit(args, kwargs, e), e);
    }
  }

  /** Finds which argument could not be encoded; only runs on the failure path. */
  private static String culprit(List<?> args, Map<String, ?> kwargs, CodecException cause) {
    for (int i = 0; i < args.size(); i++) {
      if (!encodes(args.get(i))) {
        return "argument " + i + " (" + describe(args.get(i)) + ") cannot be sent: " + cause.getMessage();
      }
    }
    for (Map.Entry<String, ?> e : kwargs.entrySet()) {
      if (!encodes(e.getValue())) {
        return "keyword argument '" + e.getKey() + "' (" + describe(e.getValue()) + ") cannot be sent: " + cause.getMessage();
      }
    }
    return cause.getMessage();
  }

  private static boolean encodes(Object value) {
    try {
      encode(value);
      return true;
    } catch (CodecException e) {
      return false;
    }
  }

  /** The reply body: {"result": ..., "error": ...}. */
  public static byte[] encodeReply(Object result, Map<String, Object> error) {
    Map<String, Object> body = new LinkedHashMap<>(4);
    body.put("result", result);
    body.put("error", error);
    return encode(body);
  }

  /** Copies a list so later changes by the caller cannot alter a request in flight. */
  public static List<Object> listOf(Object[] args) {
    List<Object> list = new ArrayList<>(args.length);
    for (Object a : args) {
      list.add(a);
    }
    return list;
  }
}
