package io.github.nameko4j.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One thread's dispatches reach the broker in the order it made them, whatever their sizes. An
 * event over 64 KiB goes through the publisher's thread while a small one may be written by the
 * dispatching thread itself; the small one used to overtake a big one dispatched just before it
 * (about one round of 2,000 in ten), and a subscriber applying product_updated in order ended
 * with the older state. The race itself is held open, every time, by nameko-rpc's
 * PublisherOrderIT; this is the same rule seen end to end, dispatcher to handler.
 */
@ExtendWith(TestServicesExtension.class)
class EventOrderIT {
  private static final int PAIRS = 500;

  @Test
  void oneThreadsEventsArriveInTheOrderItDispatchedThemBigOrSmall(TestServices services) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String source = "orders_" + run;
    Recorder seen = new Recorder("only");
    String big = "x".repeat(70 * 1024);
    try (RawAmqp raw = new RawAmqp(services.amqpUri());
        EventSubscriber subscriber = EventSubscriber.builder().uri(services.amqpUri()).service("order_" + run).maxWorkers(1)
            .on(source, "product_updated", seen).start();
        EventDispatcher events = EventDispatcher.builder().uri(services.amqpUri()).source(source).build()) {
      raw.deleteLater(subscriber.queues().get(0));
      for (int i = 0; i < PAIRS; i++) {
        events.dispatchAsync("product_updated", Map.of("seq", 2 * i, "state", big));
        events.dispatchAsync("product_updated", Map.of("seq", 2 * i + 1, "state", "small"));
      }
      List<Recorder.Seen> all = seen.awaitCount(2 * PAIRS, Duration.ofSeconds(120));
      List<Integer> order = new ArrayList<>();
      for (Recorder.Seen s : all) {
        order.add((Integer) ((Map<?, ?>) s.event().payload()).get("seq"));
      }
      assertThat(order).hasSize(2 * PAIRS).isSorted();
    }
  }
}
