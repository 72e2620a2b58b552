package io.github.nameko4j.events;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Bad input is refused when building, naming the argument and what is wrong; nothing connects. */
class BuilderValidationTest {

  @Test
  void aSubscriberNeedsAServiceFirstAndAtLeastOneHandler() {
    assertThatThrownBy(() -> EventSubscriber.builder().on("orders", "created", event -> { }))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("service(name) must be set first");
    assertThatThrownBy(() -> EventSubscriber.builder().service("stock").start())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("no event handler");
    assertThatThrownBy(() -> EventSubscriber.builder().service("stock", new Object()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no public method annotated with @EventHandler");
  }

  @Test
  void eventTypesAreRoutingKeysAndQueueNamesMustFitAmqp() {
    EventSubscriber.Builder b = EventSubscriber.builder().service("stock");
    assertThatThrownBy(() -> b.on("orders", " ", event -> { }))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("eventType must not be blank");
    assertThatThrownBy(() -> b.on("orders", "a\nb", event -> { }))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("control character");
    assertThatThrownBy(() -> b.on("or.ders", "created", event -> { }))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("source 'or.ders' is not a valid nameko name");
    String longType = "t".repeat(200);
    assertThatThrownBy(() -> b.on("orders", longType, HandlerType.BROADCAST, false, false, "on_long", event -> { }))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("stock.on_long")
        .hasMessageContaining("queue name would be 259 bytes");
    assertThatThrownBy(() -> b.on("orders", "é".repeat(128), event -> { }))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256 bytes in UTF-8");
  }

  /** Two handlers named alike, as a Java class may well have: only the queue name tells them apart. */
  public static class Restock {
    @EventHandler(source = "orders", eventType = "order_cancelled")
    public void onCancel(Object payload) {}
  }

  @Test
  void twoHandlersThatWouldConsumeOneQueueAreRefusedNamingBoth() {
    EventSubscriber.Builder b = EventSubscriber.builder().service("stock").on("orders", "created", event -> { });
    assertThatThrownBy(() -> b.on("orders", "created", event -> { }))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'stock.on_created <- orders.created (SERVICE_POOL, reliable)' and 'stock.on_created <- orders.created")
        .hasMessageContaining("evt-orders-created--stock.on_created")
        .hasMessageContaining("split the events");
    EventSubscriber.Builder annotated = EventSubscriber.builder().service("stock", new Restock());
    assertThatThrownBy(() -> annotated.service("stock", new Restock()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stock.on_cancel <- orders.order_cancelled");
    EventSubscriber.Builder singletons = EventSubscriber.builder().service("stock")
        .on("orders", "created", "on_a", HandlerOptions.custom().handlerType(HandlerType.SINGLETON).build(), event -> { });
    assertThatThrownBy(() -> singletons.on("orders", "created", "on_b",
        HandlerOptions.custom().handlerType(HandlerType.SINGLETON).build(), event -> { }))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("evt-orders-created,").hasMessageContaining("register one");

    // other names, other events, and random broadcasts (a queue per connection) are fine
    b.on("orders", "created", "on_created_too", HandlerOptions.ofDefaults(), event -> { })
        .on("orders", "updated", event -> { })
        .on("orders", "created", "on_news", HandlerOptions.custom().handlerType(HandlerType.BROADCAST).reliableDelivery(false).build(), e -> { })
        .on("orders", "created", "on_news", HandlerOptions.custom().handlerType(HandlerType.BROADCAST).reliableDelivery(false).build(), e -> { });
  }

  @Test
  void aHandlerRegisteredInCodeTakesEveryOptionOfTheAnnotationABroadcastIdentifierIncluded() {
    HandlerOptions perHost = HandlerOptions.custom().handlerType(HandlerType.BROADCAST).broadcastIdentifier("host-1").build();
    EventSubscriber.builder().service("stock").on("orders", "news", "on_news", perHost, event -> { });
    assertThatThrownBy(() -> EventSubscriber.builder().service("stock").on("orders", "news", "on_news",
        HandlerOptions.custom().handlerType(HandlerType.BROADCAST).build(), event -> { }))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stable broadcastIdentifier");
    assertThatThrownBy(() -> HandlerOptions.custom().broadcastIdentifier("host-1").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("BROADCAST handlers only");
  }

  @Test
  void optionsOutOfRangeAreRefused() {
    assertThatThrownBy(() -> EventSubscriber.builder().maxWorkers(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("maxWorkers must be between 1 and 10000, was 0");
    assertThatThrownBy(() -> EventDispatcher.builder().confirmTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("confirmTimeout must be positive");
    assertThatThrownBy(() -> EventDispatcher.builder().contextData("k", new Object()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k");
    assertThatThrownBy(() -> EventDispatcher.builder().uri("http://localhost"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unsupported scheme 'http'");
    assertThatThrownBy(() -> EventDispatcher.builder().build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("source(name) must be set");
  }
}
