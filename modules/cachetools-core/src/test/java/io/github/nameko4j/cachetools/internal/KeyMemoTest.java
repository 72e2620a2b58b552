package io.github.nameko4j.cachetools.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Remembered keys are only ever those deriving would give again. */
class KeyMemoTest {

  @Test
  void callsWithScalarArgumentsAreRememberedAndOthersNever() {
    KeyMemo memo = new KeyMemo(100);
    String key = CacheKeys.derive("svc", "get", List.of(42, "x"), Map.of());
    memo.put("get", List.of(42, "x"), Map.of(), key);
    assertThat(memo.get("get", List.of(42, "x"), Map.of())).isEqualTo(key);
    assertThat(memo.get("get", List.of(43, "x"), Map.of())).isNull();
    assertThat(memo.get("other", List.of(42, "x"), Map.of())).isNull();

    memo.put("get", List.of(List.of(1)), Map.of(), "k1"); // a list argument: a caller could change it
    assertThat(memo.get("get", List.of(List.of(1)), Map.of())).isNull();
    memo.put("get", List.of(1), Map.of("a", 1), "k2"); // keyword arguments
    assertThat(memo.get("get", List.of(1), Map.of("a", 1))).isNull();
  }

  @Test
  void aCallersListChangedAfterTheCallNeverFindsTheOldKey() {
    KeyMemo memo = new KeyMemo(100);
    List<Object> args = new ArrayList<>(List.of("a"));
    memo.put("get", args, Map.of(), "key-of-a");
    args.set(0, "b");
    assertThat(memo.get("get", args, Map.of())).isNull();
    assertThat(memo.get("get", List.of("a"), Map.of())).isEqualTo("key-of-a");
  }

  @Test
  void itForgetsEverythingWhenFull() {
    KeyMemo memo = new KeyMemo(2);
    memo.put("m", List.of(1), Map.of(), "k1");
    memo.put("m", List.of(2), Map.of(), "k2");
    memo.put("m", List.of(3), Map.of(), "k3");
    assertThat(memo.get("m", List.of(1), Map.of())).isNull();
    assertThat(memo.get("m", List.of(3), Map.of())).isEqualTo("k3");
  }
}
