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
