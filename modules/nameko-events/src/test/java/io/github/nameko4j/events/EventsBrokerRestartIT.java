package io.github.nameko4j.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.rpc.NamekoException;
import io.github.nameko4j.rpc.TransportException;
import io.github.nameko4j.testsupport.RabbitNodeProcess;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The test's own RabbitMQ node ({@link RabbitNodeProcess}) has its app restarted while events
 * flow: dispatcher and subscriber reconnect by themselves, and no event the broker confirmed is
 * lost for a reliable (durable) handler queue. The shared broker is never touched.
 */
class EventsBrokerRestartIT {

  @Test
  void noConfirmedEventIsLostForADurableQueueAcrossABrokerRestart() throws Exception {
    try (RabbitNodeProcess broker = RabbitNodeProcess.start()) {
      // at-least-once: an event can come twice (acked just before the broker went down), never not at all
      Set<Integer> handled = ConcurrentHashMap.newKeySet();
      AtomicInteger duplicates = new AtomicInteger();
      try (EventSubscriber stock = EventSubscriber.builder().uri(broker.amqpUri()).service("stock")
              .on("orders", "order_created", event -> {
                if (!handled.add(((Number) ((Map<?, ?>) event.payload()).get("id")).intValue())) {
                  duplicates.incrementAndGet();
                }
              }).start();
          EventDispatcher orders = EventDispatcher.builder().uri(broker.amqpUri()).source("orders")
              .confirmTimeout(Duration.ofSeconds(5)).build()) {
        Set<Integer> confirmed = ConcurrentHashMap.newKeySet();
        AtomicInteger refused = new AtomicInteger();
        AtomicLong confirmedAfterRestart = new AtomicLong();
        AtomicInteger phase = new AtomicInteger(); // 0 before, 1 stopping/down, 2 back
        Thread dispatching = new Thread(() -> {
          for (int id = 0; !Thread.currentThread().isInterrupted(); id++) {
            try {
              orders.dispatch("order_created", Map.of("id", id));
              confirmed.add(id);
              if (phase.get() == 2) {
                confirmedAfterRestart.incrementAndGet();
              }
            } catch (TransportException e) {
              refused.incrementAndGet(); // not confirmed: the caller knows, and may retry
            } catch (NamekoException interrupted) {
              return; // the test is done
            }
            try {
              Thread.sleep(5);
            } catch (InterruptedException e) {
              return;
            }
          }
        }, "dispatching");
        dispatching.start();
        try {
          await().atMost(Duration.ofSeconds(30)).until(() -> confirmed.size() >= 100);
          phase.set(1);
          broker.stopApp();
          await().atMost(Duration.ofSeconds(30)).until(() -> refused.get() > 0); // dispatches fail fast while down
          broker.startApp();
          phase.set(2);
          await().atMost(Duration.ofSeconds(90)).until(() -> confirmedAfterRestart.get() >= 100);
        } finally {
          dispatching.interrupt();
          dispatching.join(30_000);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> handled.containsAll(confirmed));
        assertThat(stock.isConnected()).isTrue();
        assertThat(orders.isConnected()).isTrue();
        System.out.printf("[events-broker-restart] %d confirmed, %d refused while down, %d handled, %d handled twice%n",
            confirmed.size(), refused.get(), handled.size(), duplicates.get());
      }
    }
  }
}
