package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.rpc.RpcTimeoutException;
import io.github.nameko4j.rpc.TransportException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CachePolicyTest {

  @Test
  void defaultsMatchTheOriginal() {
    CachePolicy p = CachePolicy.ofDefaults();
    assertThat(p.ttl()).isNull();
    assertThat(p.failoverTimeout()).isZero();
    assertThat(p.fallbackOn()).isSameAs(CachePolicy.ANY_ERROR);
    assertThat(p.storeTtl()).isNull();
  }

  @Test
  void invalidDurationsFailNamingTheSetting() {
    assertThatThrownBy(() -> CachePolicy.custom().ttl(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("ttl must be positive, was PT-1S");
    assertThatThrownBy(() -> CachePolicy.custom().ttl(Duration.ZERO)).hasMessageStartingWith("ttl must be positive");
    assertThatThrownBy(() -> CachePolicy.custom().failoverTimeout(Duration.ofMillis(-5)))
        .hasMessageStartingWith("failoverTimeout must be zero or positive");
    assertThatThrownBy(() -> CachePolicy.custom().failoverTimeout(Duration.ofDays(10_000)))
        .hasMessageStartingWith("failoverTimeout must be at most");
    assertThatThrownBy(() -> CachePolicy.custom().staleWindow(null)).hasMessage("staleWindow must not be null");
    assertThatThrownBy(() -> CachePolicy.custom().staleWindow(Duration.ofSeconds(5)).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("staleWindow").hasMessageContaining("needs a ttl");
  }

  @Test
  void derivedPoliciesKeepTheBaseAndChangeOnlyWhatIsSet() {
    CachePolicy base = CachePolicy.custom().ttl(Duration.ofSeconds(30)).failoverTimeout(Duration.ofSeconds(1)).build();
    CachePolicy derived = CachePolicy.from(base).staleWindow(Duration.ofMinutes(1)).build();
    assertThat(derived.ttl()).isEqualTo(Duration.ofSeconds(30));
    assertThat(derived.failoverTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(derived.storeTtl()).isEqualTo(Duration.ofSeconds(90));
    assertThat(base.staleWindow()).isZero();
  }

  @Test
  void transportErrorsPredicateLeavesBusinessErrorsToTheCaller() {
    assertThat(CachePolicy.TRANSPORT_ERRORS.test(new TransportException("down"))).isTrue();
    assertThat(CachePolicy.TRANSPORT_ERRORS.test(new RpcTimeoutException("s", "m", Duration.ofSeconds(1)))).isTrue();
    assertThat(CachePolicy.TRANSPORT_ERRORS.test(new RemoteServiceException("ValueError", "builtins.ValueError", List.of(), "x"))).isFalse();
  }
}
