package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.github.nameko4j.cachetools.CacheDirectives;
import io.github.nameko4j.cachetools.CacheDirectives.Directive;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.MicrometerCacheMetrics;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.rpc.RpcContext;
import io.github.nameko4j.testsupport.ManualClock;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Cache control across a nameko call chain (issue 29): a Python caller (its request built from
 * nameko 2.14's captured wire format, vector k_context_data, with {@code context_data={"cache_control":
 * ...}}) calls a Java service whose method calls its target through a CacheFirstRpcProxy over
 * Redis. The directive reaches the proxy, which applies it, and travels on to the target, as
 * nameko passes context data on.
 */
@ExtendWith(TestServicesExtension.class)
class CacheControlChainIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The target: a price whose version grows with each call; records the cache control it was called with. */
  public static class Prices {
    final AtomicInteger calls = new AtomicInteger();
    final List<Object> cacheControlSeen = new CopyOnWriteArrayList<>();

    @Rpc
    public Map<String, Object> price(String sku) {
      cacheControlSeen.add(String.valueOf(RpcContext.current().orElseThrow().get("cache_control")));
      return Map.of("sku", sku, "version", calls.incrementAndGet());
    }
  }

  /** The Java service in the middle. */
  public static class Shop {
    final CacheFirstRpcProxy prices;
    final CacheFirstRpcProxy strictPrices; // accepts no cache control

    Shop(CacheFirstRpcProxy prices, CacheFirstRpcProxy strictPrices) {
      this.prices = prices;
      this.strictPrices = strictPrices;
    }

    @Rpc
    public Object quote(String sku) {
      return prices.call("price", sku);
    }

    @Rpc
    public Object strictQuote(String sku) {
      return strictPrices.call("price", sku);
    }
  }

  /** Calls as nameko's ClusterRpcProxy does (vector k's request, its context data replaced). */
  static final class PythonCaller implements AutoCloseable {
    private final Connection connection;
    private final Channel channel;
    private final String replyTo = UUID.randomUUID().toString();
    private final BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
    private final Map<String, Object> capturedProperties;

    @SuppressWarnings("unchecked")
    PythonCaller(String amqpUri) throws Exception {
      try (InputStream in = getClass().getResourceAsStream("/nameko-wire/vectors/k_context_data.json")) {
        Map<String, Object> vector = JSON.readValue(in, Map.class);
        capturedProperties = (Map<String, Object>) ((List<Map<String, Object>>) vector.get("messages")).get(0).get("properties");
      }
      ConnectionFactory factory = new ConnectionFactory();
      factory.setUri(amqpUri);
      connection = factory.newConnection("python-like-caller");
      channel = connection.createChannel();
      String queue = channel.queueDeclare("rpc.reply-standalone_rpc_proxy-" + replyTo, false, true, true, null).getQueue();
      channel.queueBind(queue, "nameko-rpc", replyTo);
      channel.basicConsume(queue, true, new DefaultConsumer(channel) {
        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
          replies.add(body);
        }
      });
    }

    /** {@code ClusterRpcProxy(config, context_data={"cache_control": cacheControl})[service].method(arg)}; null: no context data. */
    @SuppressWarnings("unchecked")
    Map<String, Object> call(String service, String method, String arg, String cacheControl) throws Exception {
      Map<String, Object> headers = new LinkedHashMap<>();
      if (cacheControl != null) {
        headers.put("nameko.cache_control", cacheControl);
      }
      headers.put("nameko.call_id_stack", List.of("standalone_rpc_proxy.call." + UUID.randomUUID()));
      AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
          .replyTo(replyTo).correlationId(UUID.randomUUID().toString())
          .priority(((Number) capturedProperties.get("priority")).intValue())
          .deliveryMode(((Number) capturedProperties.get("delivery_mode")).intValue())
          .contentEncoding((String) capturedProperties.get("content_encoding"))
          .contentType((String) capturedProperties.get("content_type"))
          .headers(headers).build();
      byte[] body = JSON.writeValueAsBytes(Map.of("args", List.of(arg), "kwargs", Map.of()));
      channel.basicPublish("nameko-rpc", service + "." + method, true, props, body);
      byte[] reply = replies.poll(20, TimeUnit.SECONDS);
      assertThat(reply).as("reply to %s.%s", service, method).isNotNull();
      Map<String, Object> decoded = JSON.readValue(new String(reply, StandardCharsets.UTF_8), Map.class);
      assertThat(decoded.get("error")).as("error of %s.%s", service, method).isNull();
      return (Map<String, Object>) decoded.get("result");
    }

    @Override
    public void close() throws Exception {
      connection.close();
    }
  }

  @Test
  void aPythonCallerAtTheTopControlsTheJavaProxyBelowIt(TestServices services) throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String target = "cc_prices_" + id;
    String shop = "cc_shop_" + id;
    ManualClock clock = new ManualClock();
    Prices prices = new Prices();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    CachePolicy policy = CachePolicy.custom().ttl(Duration.ofSeconds(60)).staleWindow(Duration.ofMinutes(10)).build();
    try (NamekoRpcServer targetServer = NamekoRpcServer.builder().uri(services.amqpUri()).service(target, prices).start();
        NamekoRpcClient shopRpc = NamekoRpcClient.builder().uri(services.amqpUri()).callerName(shop).build();
        RedisCacheStore store = RedisCacheStore.builder(shop).uri(services.redisUri())
            .readBudget(Duration.ofSeconds(2)).maxReadBudget(Duration.ofSeconds(2)).build();
        NamekoRpcServer shopServer = NamekoRpcServer.builder().uri(services.amqpUri()).service(shop, new Shop(
            CacheFirstRpcProxy.builder(shopRpc).service(target).store(store).clock(clock).defaultPolicy(policy)
                .acceptCacheControl(Directive.values()).listener(new MicrometerCacheMetrics(registry)).build(),
            CacheFirstRpcProxy.builder(shopRpc).service(target).store(store).clock(clock).defaultPolicy(policy).build())).start();
        PythonCaller python = new PythonCaller(services.amqpUri())) {
      assertThat(python.call(shop, "quote", "A1", null)).containsEntry("version", 1);
      assertThat(python.call(shop, "quote", "A1", null)).containsEntry("version", 1); // cached

      // no-cache: the shop's proxy asks the target and refreshes the entry; the target sees the directive.
      assertThat(python.call(shop, "quote", "A1", "no-cache")).containsEntry("version", 2);
      assertThat(prices.cacheControlSeen).containsExactly("null", "no-cache");
      assertThat(python.call(shop, "quote", "A1", null)).containsEntry("version", 2);
      assertThat(registry.get("nameko4j.cache.directives").tag("directive", "no-cache").counter().count()).isEqualTo(1);

      // A proxy that accepts no cache control ignores it.
      assertThat(python.call(shop, "strict_quote", "A1", "no-cache")).containsEntry("version", 2);

      // Past the ttl but kept by the stale window: max-stale accepts it, a plain call does not.
      clock.advance(Duration.ofSeconds(90));
      assertThat(python.call(shop, "quote", "A1", "max-stale=300")).containsEntry("version", 2);
      assertThat(python.call(shop, "quote", "A1", "max-stale=10")).containsEntry("version", 3); // 30 s stale: too stale
      assertThat(python.call(shop, "quote", "A1", null)).containsEntry("version", 3);
      // max-age: a reply fetched 0 s ago is fine; after 20 s, not for max-age=10.
      clock.advance(Duration.ofSeconds(20));
      assertThat(python.call(shop, "quote", "A1", "max-age=10")).containsEntry("version", 4);
      // no-store: the reply is not kept.
      assertThat(python.call(shop, "quote", "A1", "no-cache, no-store")).containsEntry("version", 5);
      assertThat(python.call(shop, "quote", "A1", null)).containsEntry("version", 4);
      assertThat(prices.calls.get()).isEqualTo(5);

      // A Java caller at the top, per call.
      try (NamekoRpcClient javaCaller = NamekoRpcClient.builder().uri(services.amqpUri()).build()) {
        Object reply = CacheDirectives.noCache().callWith(() -> javaCaller.call(shop, "quote", "A1"));
        assertThat(reply).isEqualTo(Map.of("sku", "A1", "version", 6));
        assertThat(prices.cacheControlSeen.get(prices.cacheControlSeen.size() - 1)).isEqualTo("no-cache");
      }
      CacheFirstRpcProxy.builder(shopRpc).service(target).store(store).build().invalidateAll().join();
    } finally {
      Fixture.deleteQueues(services.amqpUri(), target, shop);
    }
  }
}
