package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.nameko4j.rpc.internal.Json;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class JsonTest {

  private static Object decode(String json) {
    return Json.decode(json.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
  }

  private static String encode(Object value) {
    return new String(Json.encode(value), StandardCharsets.US_ASCII);
  }

  @Test
  void integersKeepTheirExactValueWhateverTheirSize() {
    Map<?, ?> m = (Map<?, ?>) decode("{\"a\": 42, \"b\": 9223372036854775809, \"c\": -9007199254740993, \"d\": 1000000000000000000000000000000}");
    assertThat(m.get("a")).isEqualTo(42);
    assertThat(m.get("b")).isEqualTo(new BigInteger("9223372036854775809"));
    assertThat(m.get("c")).isEqualTo(-9007199254740993L);
    assertThat(m.get("d")).isEqualTo(new BigInteger("1000000000000000000000000000000"));
    assertThat(encode(m.get("b"))).isEqualTo("9223372036854775809");
  }

  /** A record with numbers, as a typed parameter or event payload would be. */
  record Payment(BigDecimal amount, BigInteger units) {}

  @Test
  void decimalsAndBigIntegersAreBoundedWhateverFormTheyArriveIn() {
    assertThatThrownBy(() -> Json.convert("1E+10000000", BigDecimal.class))
        .isInstanceOf(CodecException.class).hasMessageContaining("decimal exponent out of range");
    assertThatThrownBy(() -> Json.convert(Map.of("amount", "1E+100000000", "units", 1), Payment.class))
        .isInstanceOf(CodecException.class).hasMessageContaining("decimal exponent out of range");
    assertThatThrownBy(() -> Json.convert("9".repeat(5000), BigInteger.class))
        .isInstanceOf(CodecException.class).hasMessageContaining("4300 digits");
    assertThatThrownBy(() -> Json.convert("1" + "0".repeat(4400), BigDecimal.class))
        .isInstanceOf(CodecException.class).hasMessageContaining("4300 digits");
    assertThat(Json.convert("12.345", BigDecimal.class)).isEqualTo(new BigDecimal("12.345"));
    assertThat(Json.convert(Map.of("amount", 1.5, "units", "123"), Payment.class))
        .isEqualTo(new Payment(new BigDecimal("1.5"), new BigInteger("123")));
    assertThat(Json.convert("1E+6144", BigDecimal.class)).isEqualTo(new BigDecimal("1E+6144"));
  }

  @Test
  void readsAndWritesPythonsBareNanAndInfinity() {
    Map<?, ?> m = (Map<?, ?>) decode("{\"nan\": NaN, \"inf\": Infinity, \"ninf\": -Infinity}");
    assertThat((Double) m.get("nan")).isNaN();
    assertThat(m.get("inf")).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(encode(List.of(Double.NaN, Double.POSITIVE_INFINITY))).isEqualTo("[NaN,Infinity]");
  }

  @Test
  void escapesNonAsciiLikeKombu() {
    assertThat(encode("héllo ✓ 😀")).isEqualTo("\"h\\u00E9llo \\u2713 \\uD83D\\uDE00\"");
    assertThat(decode("\"h\\u00e9llo \\ud83d\\ude00\"")).isEqualTo("héllo 😀");
  }

  @Test
  void longStringsAreWrittenExactlyAsShortOnesWhateverTheirCharacters() {
    // Long printable-ASCII strings take a byte-copy path; every other long string Jackson's own.
    for (String piece : List.of("abc/XYZ~\u007f", "quote\"", "back\\slash", "tab\t", "nul\u0000", "é", "✓", "😀")) {
      String shortOne = piece;
      String longOne = piece.repeat(2_000 / piece.length() + 1);
      String expectedShort = encode(List.of(shortOne));
      String inner = expectedShort.substring(2, expectedShort.length() - 2); // the escaped piece, without ["..."]
      assertThat(encode(List.of(longOne))).isEqualTo("[\"" + inner.repeat(2_000 / piece.length() + 1) + "\"]");
      assertThat(decode(encode(Map.of("result", longOne)))).isEqualTo(Map.of("result", longOne));
    }
  }

  @Test
  void largeBodiesDecodeExactlyAsJacksonDecodesThemWhateverTheirStrings() throws Exception {
    // Bodies from 8 KB read long clean-ASCII strings straight from their bytes; every string
    // around an escape, a non-ASCII character or a control character, at each position within
    // an eight-byte word, must come out as Jackson's own parser reads it.
    ObjectMapper reference = new ObjectMapper();
    Random random = new Random(20261203);
    String[] rare = {"\"", "\\", "\t", "\u0000", "\u001f", "\u007f", "é", "✓", "😀", "/", "?", " "};
    for (int doc = 0; doc < 300; doc++) {
      List<Object> values = new ArrayList<>();
      Map<String, Object> nested = new LinkedHashMap<>();
      int total = 0;
      while (total < 9 * 1024) {
        int length = random.nextInt(4) == 0 ? random.nextInt(20) : 500 + random.nextInt(3_000);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
          b.append(random.nextInt(400) == 0 ? rare[random.nextInt(rare.length)] : (char) ('a' + random.nextInt(26)));
        }
        String s = b.toString();
        values.add(s);
        nested.put("k" + values.size(), List.of(s, Map.of("deeper", s)));
        total += length;
      }
      values.add(nested);
      for (byte[] body : List.of(reference.writeValueAsBytes(values), Json.encode(values))) {
        assertThat(body.length).isGreaterThan(8 * 1024);
        assertThat(Json.decode(body, StandardCharsets.UTF_8)).isEqualTo(reference.readValue(body, Object.class));
      }
    }
  }

  @Test
  void aLongStringEndingTheBodyOrLeftOpenIsReadAsJacksonReadsIt() {
    String clean = "x".repeat(10_000);
    assertThat(Json.decode(("\"" + clean + "\"").getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(clean);
    for (int cut = 0; cut < 9; cut++) { // no closing quote, the body ends at each position of a word
      byte[] open = ("[\"" + clean.substring(cut)).getBytes(StandardCharsets.UTF_8);
      assertThatThrownBy(() -> Json.decode(open, StandardCharsets.UTF_8)).isInstanceOf(CodecException.class)
          .hasMessageContaining("invalid JSON");
    }
  }

  @Test
  void largeUtf16BodiesAreStillDetectedAndRead() {
    String clean = "y".repeat(10_000);
    byte[] utf16 = ("{\"result\": \"" + clean + "\"}").getBytes(StandardCharsets.UTF_16BE);
    assertThat(Json.decode(utf16, StandardCharsets.UTF_8)).isEqualTo(Map.of("result", clean));
  }

  @Test
  void writesNonStringKeysAsPythonDoes() {
    Map<Object, String> m = new LinkedHashMap<>();
    m.put(1, "int");
    m.put(2.5, "float");
    m.put(true, "bool");
    m.put(null, "none");
    assertThat(encode(m)).isEqualTo("{\"1\":\"int\",\"2.5\":\"float\",\"true\":\"bool\",\"null\":\"none\"}");
  }

  @Test
  void writesDatesDecimalsAndUuidsAsKombu52Strings() {
    assertThat(encode(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 678_901_000))).isEqualTo("\"2024-01-02T03:04:05.678901\"");
    assertThat(encode(OffsetDateTime.parse("2024-01-02T03:04:05Z"))).isEqualTo("\"2024-01-02T03:04:05Z\"");
    assertThat(encode(LocalDate.of(2024, 1, 2))).isEqualTo("\"2024-01-02T00:00:00\"");
    assertThat(encode(new BigDecimal("1.10"))).isEqualTo("\"1.10\"");
    assertThat(encode(UUID.fromString("12345678-1234-5678-1234-567812345678")))
        .isEqualTo("\"12345678-1234-5678-1234-567812345678\"");
  }

  @Test
  void readsKombu53TaggedValues() {
    Map<?, ?> m = (Map<?, ?>) decode(
        "{\"dt\": {\"__type__\": \"datetime\", \"__value__\": \"2024-01-02T03:04:05.678901\"},"
            + " \"utc\": {\"__type__\": \"datetime\", \"__value__\": \"2024-01-02T03:04:05+00:00\"},"
            + " \"d\": {\"__type__\": \"date\", \"__value__\": \"2024-01-02\"},"
            + " \"dec\": {\"__type__\": \"decimal\", \"__value__\": \"1.10\"},"
            + " \"u\": [{\"__type__\": \"uuid\", \"__value__\": \"12345678-1234-5678-1234-567812345678\"}]}");
    assertThat(m.get("dt")).isEqualTo(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 678_901_000));
    assertThat(m.get("utc")).isEqualTo(OffsetDateTime.parse("2024-01-02T03:04:05Z"));
    assertThat(m.get("d")).isEqualTo(LocalDate.of(2024, 1, 2));
    assertThat(m.get("dec")).isEqualTo(new BigDecimal("1.10"));
    assertThat(m.get("u")).isEqualTo(List.of(UUID.fromString("12345678-1234-5678-1234-567812345678")));
  }

  @Test
  void refusesToSendTheTaggedShapeThatKombu53WouldMisread() {
    assertThatThrownBy(() -> Json.encode(Map.of("__type__", "x", "__value__", 1)))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("__type__");
  }

  @Test
  void namesTheArgumentThatCannotBeSent() {
    Object unserializable = new Object() {
      @SuppressWarnings("unused")
      public Object getSelf() {
        throw new IllegalStateException("no");
      }
    };
    assertThatThrownBy(() -> Json.encodeRequest(List.of(1, unserializable), Map.of()))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("argument 1 (a value of type io.github.nameko4j.rpc.JsonTest$");
    assertThatThrownBy(() -> Json.encodeRequest(List.of(), Map.of("bad", unserializable)))
        .hasMessageStartingWith("keyword argument 'bad'");
  }

  @Test
  void refusesCyclicStructuresWithACodecError() {
    Map<String, Object> cyclic = new HashMap<>();
    cyclic.put("self", cyclic);
    List<Object> list = new ArrayList<>();
    list.add(list);
    assertThatThrownBy(() -> Json.encodeRequest(List.of(cyclic), Map.of()))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("argument 0")
        .hasMessageContaining("cyclic");
    assertThatThrownBy(() -> Json.encode(list)).isInstanceOf(CodecException.class);
  }

  @Test
  void invalidJsonIsACodecError() {
    assertThatThrownBy(() -> decode("{\"args\": [\"x\"], \"kwargs\": "))
        .isInstanceOf(CodecException.class)
        .hasMessageStartingWith("invalid JSON");
  }
}
