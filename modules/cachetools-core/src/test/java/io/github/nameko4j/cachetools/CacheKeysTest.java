package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.nameko4j.cachetools.internal.CacheKeys;
import io.github.nameko4j.rpc.CodecException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CacheKeysTest {

  @Test
  void keywordOrderAndNestedMapOrderDoNotMatter() {
    Map<String, Object> ab = new LinkedHashMap<>();
    ab.put("a", 1);
    ab.put("b", Map.of("x", 1, "y", List.of(1, 2)));
    Map<String, Object> ba = new LinkedHashMap<>();
    ba.put("b", Map.of("y", List.of(1, 2), "x", 1));
    ba.put("a", 1);
    assertThat(CacheKeys.derive("s", "m", List.of(), ab)).isEqualTo(CacheKeys.derive("s", "m", List.of(), ba));
  }

  @Test
  void equalValuesOfDifferentJavaTypesShareAKeyAsTheyDoOnTheWire() {
    assertThat(CacheKeys.derive("s", "m", List.of(1), Map.of())).isEqualTo(CacheKeys.derive("s", "m", List.of(1L), Map.of()));
    assertThat(CacheKeys.derive("s", "m", List.of(Map.of(1, "a")), Map.of()))
        .isEqualTo(CacheKeys.derive("s", "m", List.of(Map.of("1", "a")), Map.of()));
    assertThat(CacheKeys.derive("s", "m", List.of(1), Map.of())).isNotEqualTo(CacheKeys.derive("s", "m", List.of(1.0), Map.of()));
  }

  @Test
  void methodsAndServicesNeverShareAKey() {
    String a = CacheKeys.derive("svc", "a", List.of(1), Map.of());
    assertThat(a).isNotEqualTo(CacheKeys.derive("svc", "b", List.of(1), Map.of()));
    assertThat(a).isNotEqualTo(CacheKeys.derive("other", "a", List.of(1), Map.of()));
    assertThat(CacheKeys.derive("s", "m", List.of(1), Map.of())).isNotEqualTo(CacheKeys.derive("s", "m", List.of(), Map.of("x", 1)));
  }

  @Test
  void keysAreBoundedWhateverTheArguments() {
    String huge = "x".repeat(1_000_000);
    assertThat(CacheKeys.derive("svc", "m", List.of(huge), Map.of())).hasSize("svc:m:".length() + 43).startsWith("svc:m:");
  }

  @Test
  void keysAreStableAcrossJvms() {
    // sha-256 of {"args":["hi"],"kwargs":{}}, computed independently with Python hashlib.
    // A change here breaks every shared cache in production.
    assertThat(CacheKeys.derive("other_service", "do_something", List.of("hi"), Map.of()))
        .isEqualTo("other_service:do_something:" + "4kx-yrLXQxfHKXDL6lqeTxCVjoHdDhdwlfG5_ZhWLT0");
  }

  @Test
  void argumentsThatCannotBeSentAreNamed() {
    Map<String, Object> cyclic = new HashMap<>();
    cyclic.put("me", cyclic);
    assertThatThrownBy(() -> CacheKeys.derive("s", "m", List.of(1, cyclic), Map.of()))
        .isInstanceOf(CodecException.class).hasMessageContaining("cyclic");
    assertThatThrownBy(() -> CacheKeys.derive("s", "m", List.of(1, new Object()), Map.of()))
        .isInstanceOf(CodecException.class).hasMessageStartingWith("argument 1 (a value of type java.lang.Object)");
  }
}
