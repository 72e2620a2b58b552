package io.github.nameko4j.cachetools.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast canonical writer must produce exactly the bytes of the general (Jackson) path: keys depend on it. */
class CanonicalWriterTest {
  private final Random random = new Random(20261126);

  private String randomString() {
    StringBuilder s = new StringBuilder();
    int n = random.nextInt(12);
    for (int i = 0; i < n; i++) {
      switch (random.nextInt(5)) {
        case 0 -> s.append((char) random.nextInt(0x20));              // control characters
        case 1 -> s.append((char) (0x20 + random.nextInt(0x60)));     // printable ASCII, DEL
        case 2 -> s.append((char) (0x80 + random.nextInt(0x780)));    // Latin, Greek, ...
        case 3 -> s.appendCodePoint(0x1F600 + random.nextInt(80));    // emoji: surrogate pairs
        default -> s.append("\"\\/".charAt(random.nextInt(3)));
      }
    }
    return s.toString();
  }

  private Object randomValue(int depth) {
    int pick = random.nextInt(depth > 3 ? 7 : 9);
    return switch (pick) {
      case 0 -> null;
      case 1 -> randomString();
      case 2 -> random.nextInt();
      case 3 -> random.nextLong();
      case 4 -> random.nextBoolean();
      case 5 -> BigInteger.valueOf(random.nextLong()).pow(3);
      case 6 -> (short) random.nextInt(1000);
      case 7 -> {
        List<Object> l = new ArrayList<>();
        for (int i = random.nextInt(4); i > 0; i--) {
          l.add(randomValue(depth + 1));
        }
        yield l;
      }
      default -> {
        Map<Object, Object> m = random.nextBoolean() ? new HashMap<>() : new LinkedHashMap<>();
        for (int i = random.nextInt(4); i > 0; i--) {
          m.put(random.nextBoolean() ? randomString() : (Object) random.nextInt(50), randomValue(depth + 1));
        }
        yield m;
      }
    };
  }

  @Test
  void writesExactlyWhatTheGeneralPathWritesForTenThousandRandomRequests() {
    int fast = 0;
    for (int i = 0; i < 10_000; i++) {
      List<Object> args = new ArrayList<>();
      for (int a = random.nextInt(4); a > 0; a--) {
        args.add(randomValue(0));
      }
      Map<String, Object> kwargs = new HashMap<>();
      for (int k = random.nextInt(3); k > 0; k--) {
        kwargs.put(randomString(), randomValue(0));
      }
      byte[] quick = CacheKeys.fastCanonical(args, kwargs);
      if (quick != null) {
        fast++;
        assertThat(new String(quick, StandardCharsets.ISO_8859_1))
            .as("request %d: %s %s", i, args, kwargs)
            .isEqualTo(new String(CacheKeys.canonicalJson(args, kwargs), StandardCharsets.ISO_8859_1));
      }
    }
    assertThat(fast).isGreaterThan(9_000); // the fast path really was exercised
  }

  @Test
  void handsOverWhatItDoesNotWriteItself() {
    assertThat(CacheKeys.fastCanonical(List.of(1.5), Map.of())).isNull();
    assertThat(CacheKeys.fastCanonical(List.of(new Object()), Map.of())).isNull();
    assertThat(CacheKeys.fastCanonical(List.of(Map.of("__type__", "x", "__value__", 1)), Map.of())).isNull();
    Map<Object, Object> clash = new HashMap<>();
    clash.put(1, "a");
    clash.put("1", "b");
    assertThat(CacheKeys.fastCanonical(List.of(clash), Map.of())).isNull();
  }
}
