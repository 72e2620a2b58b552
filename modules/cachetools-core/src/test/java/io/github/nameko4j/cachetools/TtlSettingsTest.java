package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The policy settings of issue 29: ttl jitter and ttls from the reply. */
class TtlSettingsTest {

  @Test
  void aFieldOfTheReplyGivesTheTtlInSeconds() {
    CachePolicy p = CachePolicy.custom().ttl(Duration.ofSeconds(30)).ttlFromField("max_age").build();
    Map<String, Object> reply = new LinkedHashMap<>();
    reply.put("max_age", 90);
    assertThat(p.ttlFromReply().apply(reply)).isEqualTo(Duration.ofSeconds(90));
    reply.put("max_age", 0.25);
    assertThat(p.ttlFromReply().apply(reply)).isEqualTo(Duration.ofMillis(250));
    reply.put("max_age", 0);
    assertThat(p.ttlFromReply().apply(reply)).isEqualTo(Duration.ZERO); // do not cache
    reply.put("max_age", "soon");
    assertThat(p.ttlFromReply().apply(reply)).isNull(); // the policy's ttl
    assertThat(p.ttlFromReply().apply("not an object")).isNull();
    reply.put("max_age", 1e12);
    assertThat(p.ttlFromReply().apply(reply)).isEqualTo(CachePolicy.MAX_DURATION);
    assertThat(p.toString()).contains("ttlFromReply=field 'max_age'");
  }

  @Test
  void settingsAreCheckedNamingThemselves() {
    assertThatThrownBy(() -> CachePolicy.custom().ttlJitter(Duration.ofSeconds(-1))).hasMessageContaining("ttlJitter must be zero or positive");
    assertThatThrownBy(() -> CachePolicy.custom().ttlJitter(Duration.ofSeconds(5)).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("ttlJitter (PT5S) needs a ttl");
    assertThatThrownBy(() -> CachePolicy.custom().ttlFromField("")).hasMessageContaining("ttlFromField needs a field name");
    assertThat(CachePolicy.custom().ttlJitter(Duration.ofSeconds(5)).ttlFromField("max_age").build().ttlJitter())
        .isEqualTo(Duration.ofSeconds(5));
    CachePolicy base = CachePolicy.custom().ttl(Duration.ofSeconds(1)).ttlJitter(Duration.ofSeconds(2)).build();
    assertThat(CachePolicy.from(base).build().ttlJitter()).isEqualTo(Duration.ofSeconds(2));
  }
}
