package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.testsupport.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class InMemoryCacheStoreTest {
  private final ManualClock clock = new ManualClock();
  private final InMemoryCacheStore store = InMemoryCacheStore.builder().clock(clock).maximumSize(100).build();

  @Test
  void eachEntryExpiresAfterItsOwnTtl() {
    store.put("short", new byte[] {1}, Duration.ofSeconds(1));
    store.put("long", new byte[] {2}, Duration.ofSeconds(10));
    store.put("forever", new byte[] {3}, null);
    clock.advance(Duration.ofSeconds(2));
    assertThat(store.get("short").join()).isNull();
    assertThat(store.get("long").join()).containsExactly(2);
    clock.advance(Duration.ofDays(400));
    assertThat(store.get("long").join()).isNull();
    assertThat(store.get("forever").join()).containsExactly(3);
  }

  @Test
  void putReplacesAndDeleteRemoves() {
    store.put("k", new byte[] {1}, null);
    store.put("k", new byte[] {2}, Duration.ofSeconds(1));
    assertThat(store.get("k").join()).containsExactly(2);
    clock.advance(Duration.ofSeconds(2));
    assertThat(store.get("k").join()).isNull();
    store.put("k", new byte[] {3}, null);
    store.delete("k").join();
    assertThat(store.get("k").join()).isNull();
  }

  @Test
  void staysWithinItsBound() {
    for (int i = 0; i < 1000; i++) {
      store.put("k" + i, new byte[] {1}, null);
    }
    assertThat(store.size()).isLessThanOrEqualTo(100);
  }
}
