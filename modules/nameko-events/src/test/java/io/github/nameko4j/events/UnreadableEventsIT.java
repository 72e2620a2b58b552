package io.github.nameko4j.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import io.github.nameko4j.testsupport.LogCapture;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An event whose headers the RabbitMQ client cannot read (nested deeper than 32 levels) used to
 * close the subscriber's connection, come back on every reconnect and stop every handler for
 * good. Now it is rejected with a WARN, and the events behind it are handled.
 */
@ExtendWith(TestServicesExtension.class)
class UnreadableEventsIT {

  @Test
  void anEventWhoseHeadersNestTooDeeplyIsRejectedAndTheNextOnesAreHandled(TestServices services) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String source = "orders_" + run;
    Recorder seen = new Recorder("only");
    Object nested = "bottom";
    for (int i = 0; i < 40; i++) {
      nested = List.of(nested);
    }
    try (LogCapture logs = LogCapture.start();
        RawAmqp raw = new RawAmqp(services.amqpUri());
        EventSubscriber subscriber = EventSubscriber.builder().uri(services.amqpUri()).service("stock_" + run)
            .on(source, "order_created", seen).start()) {
      String queue = subscriber.queues().get(0);
      raw.deleteLater(queue);
      AMQP.BasicProperties poison = new AMQP.BasicProperties.Builder().contentType("application/json")
          .headers(Map.of("nameko.poison", nested)).build();
      raw.publish(source + ".events", "order_created", poison, "{\"id\": 1}".getBytes(StandardCharsets.UTF_8));
      AMQP.BasicProperties fine = new AMQP.BasicProperties.Builder().contentType("application/json").headers(Map.of()).build();
      raw.publish(source + ".events", "order_created", fine, "{\"id\": 2}".getBytes(StandardCharsets.UTF_8));

      seen.awaitCount(1, Duration.ofSeconds(15));
      assertThat(((Map<?, ?>) seen.seen().get(0).event().payload()).get("id")).isEqualTo(2);
      await().atMost(Duration.ofSeconds(10)).until(() -> !logs.messages("WARN", "deeper than 32 levels").isEmpty());
      assertThat(logs.messages("WARN", "deeper than 32 levels").get(0)).contains("rejected").contains("stock_" + run);
      assertThat(raw.ready(queue)).isZero();
      assertThat(logs.messages("WARN", "reconnecting")).isEmpty();
      assertThat(subscriber.isConnected()).isTrue();
    }
  }
}
