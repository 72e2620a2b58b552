package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.nameko4j.cachetools.CacheDirectives.Directive;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.testsupport.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Cache control carried by the call (issue 29), on both proxies, over the in-process store. */
class CacheControlIT extends WithBackend {
  private final ManualClock clock = new ManualClock();
  private final InMemoryCacheStore store = InMemoryCacheStore.builder().clock(clock).build();
  private final CachePolicy policy = CachePolicy.custom().ttl(Duration.ofSeconds(10)).staleWindow(Duration.ofMinutes(5)).build();
  private int base; // the backend is shared by the class: its stamp counts on

  @BeforeEach
  void countFromHere() {
    base = backend.calls("stamp");
  }

  /** What stamp replies on its n-th call of this test. */
  private List<Object> stamp(String x, int n) {
    return List.of(x, base + n);
  }

  private CacheFirstRpcProxy cacheFirst(Directive... accepted) {
    return CacheFirstRpcProxy.builder(client).service(backend.name).store(store).clock(clock).defaultPolicy(policy)
        .acceptCacheControl(accepted).build();
  }

  private static Object with(String header, Supplier<Object> call) {
    return CacheDirectives.parse(header).callWith(call);
  }

  @Test
  void aProxyThatAcceptsNoneIgnoresEveryDirective() {
    CacheFirstRpcProxy proxy = cacheFirst();
    assertThat(proxy.call("stamp", "a")).isEqualTo(stamp("a", 1));
    assertThat(with("no-cache", () -> proxy.call("stamp", "a"))).isEqualTo(stamp("a", 1));
    assertThat(with("max-age=0", () -> proxy.call("stamp", "a"))).isEqualTo(stamp("a", 1));
    assertThat(backend.calls("stamp") - base).isEqualTo(1);
  }

  @Test
  void noCacheAsksTheServiceAndRefreshesTheEntry() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).clock(clock)
        .defaultPolicy(policy).acceptCacheControl(Directive.NO_CACHE).listener(new MicrometerCacheMetrics(registry)).build();
    assertThat(proxy.call("stamp", "a")).isEqualTo(stamp("a", 1));
    assertThat(with("no-cache", () -> proxy.call("stamp", "a"))).isEqualTo(stamp("a", 2));
    assertThat(proxy.call("stamp", "a")).isEqualTo(stamp("a", 2)); // the entry was refreshed
    assertThat(backend.calls("stamp") - base).isEqualTo(2);
    assertThat(registry.get("nameko4j.cache.directives").tag("directive", "no-cache").counter().count()).isEqualTo(1);
  }

  @Test
  void noStoreKeepsTheReplyOutOfTheCache() {
    CacheFirstRpcProxy proxy = cacheFirst(Directive.NO_CACHE, Directive.NO_STORE);
    assertThat(proxy.call("stamp", "a")).isEqualTo(stamp("a", 1));
    assertThat(with("no-cache, no-store", () -> proxy.call("stamp", "a"))).isEqualTo(stamp("a", 2));
    assertThat(proxy.call("stamp", "a")).isEqualTo(stamp("a", 1)); // the older entry still answers
    assertThat(with("no-store", () -> proxy.call("stamp", "b"))).isEqualTo(stamp("b", 3));
    assertThat(proxy.call("stamp", "b")).isEqualTo(stamp("b", 4)); // nothing was stored for b
  }

  @Test
  void maxAgeRefusesOlderEntriesAndMaxStaleAcceptsStaleOnes() {
    CacheFirstRpcProxy proxy = cacheFirst(Directive.MAX_AGE, Directive.MAX_STALE);
    assertThat(proxy.call("stamp", "a")).isEqualTo(stamp("a", 1));
    clock.advance(Duration.ofSeconds(6));
    assertThat(with("max-age=10", () -> proxy.call("stamp", "a"))).isEqualTo(stamp("a", 1));
    assertThat(with("max-age=5", () -> proxy.call("stamp", "a"))).isEqualTo(stamp("a", 2)); // 6 s old: too old
    clock.advance(Duration.ofSeconds(70)); // past the ttl, within the stale window
    assertThat(with("max-stale=120", () -> proxy.call("stamp", "a"))).isEqualTo(stamp("a", 2));
    assertThat(with("max-stale=30", () -> proxy.call("stamp", "a"))).isEqualTo(stamp("a", 3)); // 60 s stale: too stale
    clock.advance(Duration.ofSeconds(20));
    assertThat(with("max-stale", () -> proxy.call("stamp", "a"))).isEqualTo(stamp("a", 3));
    assertThat(backend.calls("stamp") - base).isEqualTo(3);
  }

  @Test
  void anInvalidatedEntryNeverAnswersWhateverTheCallerAccepts() {
    CacheFirstRpcProxy proxy = cacheFirst(Directive.MAX_STALE);
    assertThat(proxy.call("stamp", "a")).isEqualTo(stamp("a", 1));
    proxy.invalidateAll().join();
    assertThat(with("max-stale", () -> proxy.call("stamp", "a"))).isEqualTo(stamp("a", 2));
  }

  @Test
  void cachedProxyWithNoCacheReportsTheServicesErrorInsteadOfFallingBack() {
    CachedRpcProxy proxy = CachedRpcProxy.builder(client).service(backend.name).store(store).clock(clock)
        .defaultPolicy(policy).acceptCacheControl(Directive.NO_CACHE, Directive.MAX_AGE).build();
    assertThat(proxy.call("stamp", "a")).isEqualTo(stamp("a", 1));
    backend.failing = true;
    assertThat(proxy.call("stamp", "a")).isEqualTo(stamp("a", 1)); // fallback
    assertThatThrownBy(() -> with("no-cache", () -> proxy.call("stamp", "a"))).isInstanceOf(RemoteServiceException.class);
    clock.advance(Duration.ofSeconds(30));
    assertThatThrownBy(() -> with("max-age=20", () -> proxy.call("stamp", "a"))).isInstanceOf(RemoteServiceException.class);
    assertThat(with("max-age=60", () -> proxy.call("stamp", "a"))).isEqualTo(stamp("a", 1));
    backend.failing = false;
    assertThat(with("no-cache", () -> proxy.call("stamp", "a"))).isEqualTo(stamp("a", 6));
  }
}
