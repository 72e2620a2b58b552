package io.github.nameko4j.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.Caching;
import io.github.nameko4j.rpc.RpcService;
import io.github.nameko4j.spring.Nameko4jProperties;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyResolverTest {

  @RpcService("prices")
  interface Prices {
    @Caching(ttl = "1m")
    Map<String, Object> price(String sku);
  }

  @Test
  void propertiesSetTheTtlJitterAndTheReplyFieldGivingTheTtl() {
    Nameko4jProperties.Policy method = new Nameko4jProperties.Policy();
    method.setTtlJitter(Duration.ofSeconds(10));
    method.setTtlFromField("max_age");
    Nameko4jProperties.ServicePolicies service = new Nameko4jProperties.ServicePolicies();
    service.getMethods().put("price", method);
    Nameko4jProperties.Cache cache = new Nameko4jProperties.Cache();
    cache.getServices().put("prices", service);

    CachePolicy policy = PolicyResolver.resolve(Prices.class, "prices", cache).policies().get("price");
    assertThat(policy.ttl()).isEqualTo(Duration.ofMinutes(1)); // the annotation's, kept
    assertThat(policy.ttlJitter()).isEqualTo(Duration.ofSeconds(10));
    assertThat(policy.ttlFromReply().apply(Map.of("max_age", 30))).isEqualTo(Duration.ofSeconds(30));

    method.setTtlFromField("");
    assertThatThrownBy(() -> PolicyResolver.resolve(Prices.class, "prices", cache))
        .hasMessageContaining("nameko4j.cache.services.prices.methods.price").hasMessageContaining("ttlFromField");
  }
}
