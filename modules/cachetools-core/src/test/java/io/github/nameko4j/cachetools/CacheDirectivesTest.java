package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.nameko4j.cachetools.CacheDirectives.Directive;
import io.github.nameko4j.rpc.RpcContext;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CacheDirectivesTest {

  @Test
  void parsesHttpsRequestSyntax() {
    CacheDirectives d = CacheDirectives.parse("No-Cache, max-age=60 ,MAX-STALE=\"300\", no-store");
    assertThat(d.isNoCache()).isTrue();
    assertThat(d.isNoStore()).isTrue();
    assertThat(d.maxAge()).isEqualTo(Duration.ofSeconds(60));
    assertThat(d.maxStale()).isEqualTo(Duration.ofSeconds(300));
    assertThat(d.toString()).isEqualTo("no-cache, no-store, max-age=60, max-stale=300");
    assertThat(CacheDirectives.parse(d.toString())).isEqualTo(d);
    assertThat(CacheDirectives.parse("max-stale").maxStale()).isEqualTo(CachePolicy.MAX_DURATION);
    assertThat(CacheDirectives.parse("max-stale").toString()).isEqualTo("max-stale");
    assertThat(CacheDirectives.parse(" , ")).isSameAs(CacheDirectives.NONE);
    assertThat(d.names()).isEqualTo("no-cache,no-store,max-age,max-stale");
    assertThat(CacheDirectives.NONE.names()).isEqualTo("none");
  }

  @Test
  void strictParsingNamesWhatIsWrong() {
    assertThatThrownBy(() -> CacheDirectives.parse("no-cahce")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown cache control directive 'no-cahce'");
    assertThatThrownBy(() -> CacheDirectives.parse("max-age")).hasMessageContaining("max-age needs a number of seconds");
    assertThatThrownBy(() -> CacheDirectives.parse("max-age=-1")).hasMessageContaining("whole number of seconds, was '-1'");
    assertThatThrownBy(() -> CacheDirectives.parse("max-age=1.5")).hasMessageContaining("was '1.5'");
    assertThatThrownBy(() -> CacheDirectives.parse("no-store=1")).hasMessageContaining("no-store takes no value");
    assertThatThrownBy(() -> CacheDirectives.maxAge(Duration.ofSeconds(-1))).hasMessageContaining("max-age must be zero or positive");
  }

  @Test
  void whatArrivesFromOtherServicesIsReadLenientlyAndBounded() {
    assertThat(CacheDirectives.fromContextValue("no-cahce, max-age=x, no-store")).isEqualTo(CacheDirectives.noStore());
    assertThat(CacheDirectives.fromContextValue(42)).isSameAs(CacheDirectives.NONE);
    assertThat(CacheDirectives.fromContextValue(List.of("no-cache"))).isSameAs(CacheDirectives.NONE);
    assertThat(CacheDirectives.fromContextValue("no-cache, " + "x".repeat(300))).isSameAs(CacheDirectives.NONE);
    assertThat(CacheDirectives.fromContextValue("max-age=99999999999999")).isSameAs(CacheDirectives.NONE); // too many digits
    assertThat(CacheDirectives.fromContextValue("max-age=9999999999").maxAge()).isEqualTo(CachePolicy.MAX_DURATION);
  }

  @Test
  void aProxyKeepsOnlyTheDirectivesItAccepts() {
    CacheDirectives all = CacheDirectives.parse("no-cache, no-store, max-age=5, max-stale");
    assertThat(all.onlyOf(EnumSet.of(Directive.MAX_STALE))).isEqualTo(CacheDirectives.anyStale());
    assertThat(all.onlyOf(EnumSet.noneOf(Directive.class))).isSameAs(CacheDirectives.NONE);
    assertThat(all.onlyOf(EnumSet.allOf(Directive.class))).isSameAs(all);
    assertThat(CacheDirectives.noCache().and(CacheDirectives.maxAge(Duration.ofSeconds(3))).directives())
        .containsExactly(Directive.NO_CACHE, Directive.MAX_AGE);
  }

  @Test
  void callWithPutsTheHeaderInTheContextOfTheCallsMadeInside() throws Exception {
    Map<String, Object> seen = CacheDirectives.parse("max-stale=30").callWith(() -> RpcContext.current().orElseThrow().data());
    assertThat(seen).containsEntry(CacheDirectives.CONTEXT_KEY, "max-stale=30");
    assertThat(RpcContext.current()).isEmpty();
    // Inside a service method: the request's context data stays, the directive is added.
    RpcContext request = RpcContext.of("svc", "m", List.of("caller.call.1", "svc.m.2"), Map.of("language", "fr"));
    RpcContext inside = request.callWith(() -> CacheDirectives.noCache().callWith(() -> RpcContext.current().orElseThrow()));
    assertThat(inside.data()).containsEntry("language", "fr").containsEntry(CacheDirectives.CONTEXT_KEY, "no-cache");
    assertThat(inside.callIdStack()).isEqualTo(request.callIdStack());
    assertThat(inside.extendsClientData()).isFalse();
  }
}
