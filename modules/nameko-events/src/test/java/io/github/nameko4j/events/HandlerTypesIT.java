package io.github.nameko4j.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.rpc.TransportException;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Who gets an event, for each of nameko's handler types, with the queue names and flags Python
 * handlers declare (so Java and Python replicas share them), and what reliable delivery and
 * requeue-on-error do (EVENTS.md §1.2, §3, §4.1, §7).
 */
@ExtendWith(TestServicesExtension.class)
class HandlerTypesIT {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private String uri;
  private String run;
  private RawAmqp raw;

  @BeforeEach
  void setUp(TestServices services) throws Exception {
    uri = services.amqpUri();
    run = UUID.randomUUID().toString().substring(0, 8);
    raw = new RawAmqp(uri);
  }

  @AfterEach
  void tearDown() throws Exception {
    raw.close();
  }

  private EventDispatcher dispatcher(String source) {
    return EventDispatcher.builder().uri(uri).source(source).build();
  }

  private static Set<Object> ids(List<Recorder.Seen> seen) {
    Set<Object> ids = new HashSet<>();
    for (Recorder.Seen s : seen) {
      ids.add(((Map<?, ?>) s.event().payload()).get("id"));
    }
    return ids;
  }

  @Test
  void twoReplicasOfAServiceShareItsPoolQueueAndEachEventIsHandledOnceWhileAnotherServiceGetsEveryOne() throws Exception {
    String source = "src_" + run;
    Recorder a = new Recorder("a");
    Recorder b = a.sibling("b");
    Recorder other = new Recorder("other");
    String queue = "evt-" + source + "-thing_happened--pool_" + run + ".on_thing";
    raw.deleteLater(queue);
    String otherQueue = "evt-" + source + "-thing_happened--other_" + run + ".on_thing_happened"; // the default method name
    raw.deleteLater(otherQueue);
    try (EventSubscriber replicaA = EventSubscriber.builder().uri(uri).service("pool_" + run)
            .on(source, "thing_happened", HandlerType.SERVICE_POOL, true, false, "on_thing", a).start();
        EventSubscriber replicaB = EventSubscriber.builder().uri(uri).service("pool_" + run)
            .on(source, "thing_happened", HandlerType.SERVICE_POOL, true, false, "on_thing", b).start();
        EventSubscriber otherService = EventSubscriber.builder().uri(uri).service("other_" + run)
            .on(source, "thing_happened", other).start();
        EventDispatcher events = dispatcher(source)) {
      assertThat(replicaA.queues()).containsExactly(queue);
      assertThat(replicaB.queues()).containsExactly(queue);
      assertThat(otherService.queues()).containsExactly(otherQueue);
      // The flags a Python SERVICE_POOL handler with reliable delivery declares: redeclaring with them succeeds.
      raw.declareAsNamekoWould(queue, true, false, false);
      for (int i = 0; i < 20; i++) {
        events.dispatch("thing_happened", Map.of("id", i));
      }
      List<Recorder.Seen> seen = a.awaitCount(20, WAIT);
      other.awaitCount(20, WAIT);
      Thread.sleep(300); // a duplicate would arrive within this
      assertThat(a.seen()).hasSize(20);
      assertThat(ids(seen)).hasSize(20);
      assertThat(a.seenBy("a")).isNotEmpty(); // RabbitMQ round-robins: both replicas work
      assertThat(a.seenBy("b")).isNotEmpty();
      assertThat(ids(other.seen())).hasSize(20);
      assertThat(other.seen()).hasSize(20);
    }
  }

  @Test
  void everyReplicaOfABroadcastHandlerGetsEveryEventOnAQueueOfItsOwn() throws Exception {
    String source = "src_" + run;
    Recorder a = new Recorder("a");
    Recorder b = a.sibling("b");
    String service = "bcast_" + run;
    try (EventSubscriber replicaA = EventSubscriber.builder().uri(uri).service(service)
            .on(source, "news", HandlerType.BROADCAST, false, false, "on_news", a).start();
        EventSubscriber replicaB = EventSubscriber.builder().uri(uri).service(service)
            .on(source, "news", HandlerType.BROADCAST, false, false, "on_news", b).start();
        EventDispatcher events = dispatcher(source)) {
      String prefix = "evt-" + source + "-news--" + service + ".on_news-";
      assertThat(replicaA.queues().get(0)).matches(prefix.replace(".", "\\.") + "[0-9a-f]{32}");
      assertThat(replicaB.queues().get(0)).startsWith(prefix).isNotEqualTo(replicaA.queues().get(0));
      for (int i = 0; i < 6; i++) {
        events.dispatch("news", Map.of("id", i));
      }
      a.awaitCount(12, WAIT);
      assertThat(ids(a.seenBy("a"))).hasSize(6);
      assertThat(ids(a.seenBy("b"))).hasSize(6);
      String queueA = replicaA.queues().get(0);
      replicaA.close();
      // exclusive and auto-delete: gone with its instance, as nameko's
      await().atMost(WAIT).until(() -> !raw.queueExists(queueA));
    }
  }

  /** A fixed source: annotation values are constants. Tests filter its events by their run id. */
  static final String ANNOTATED_SOURCE = "nameko4j_events_test";

  @Test
  void aReliableBroadcastWithAStableIdentifierKeepsItsEventsWhileItsInstanceIsDown() throws Exception {
    Recorder seen = new Recorder("host-1");
    String service = "bcastrel_" + run;
    String queue = "evt-" + ANNOTATED_SOURCE + "-news--" + service + ".on_news-host-1";
    raw.deleteLater(queue);
    try (EventDispatcher events = dispatcher(ANNOTATED_SOURCE)) {
      try (EventSubscriber first = EventSubscriber.builder().uri(uri).service(service, new ReliableBroadcast(seen)).start()) {
        assertThat(first.queues()).containsExactly(queue);
        raw.declareAsNamekoWould(queue, true, false, false); // durable, shared, kept: nameko's reliable broadcast
      }
      events.dispatch("news", Map.of("id", run + "-while-down-1"));
      events.dispatch("news", Map.of("id", run + "-while-down-2"));
      try (EventSubscriber again = EventSubscriber.builder().uri(uri).service(service, new ReliableBroadcast(seen)).start()) {
        await().atMost(WAIT).until(() -> ids(seen.seen()).containsAll(List.of(run + "-while-down-1", run + "-while-down-2")));
      }
    }
  }

  @Test
  void aReliableBroadcastRegisteredInCodeWithAnIdentifierKeepsEventsDispatchedWhileItIsDown() throws Exception {
    String source = "src_" + run;
    String service = "coded_" + run;
    String queue = "evt-" + source + "-news--" + service + ".on_news-host-7";
    raw.deleteLater(queue);
    Recorder seen = new Recorder("host-7");
    HandlerOptions options = HandlerOptions.custom().handlerType(HandlerType.BROADCAST).broadcastIdentifier("host-7").build();
    try (EventDispatcher events = dispatcher(source)) {
      try (EventSubscriber subscriber = EventSubscriber.builder().uri(uri).service(service)
          .on(source, "news", "on_news", options, seen).start()) {
        assertThat(subscriber.queues()).containsExactly(queue);
      }
      events.dispatch("news", Map.of("id", run + "-while-down"));
      try (EventSubscriber again = EventSubscriber.builder().uri(uri).service(service).on(source, "news", "on_news", options, seen).start()) {
        await().atMost(WAIT).until(() -> ids(seen.seen()).contains(run + "-while-down"));
      }
    }
  }

  @Test
  void aReliableBroadcastWithoutAStableIdentifierIsRefusedAsNamekoRefusesIt() {
    EventSubscriber.Builder builder = EventSubscriber.builder().uri(uri).service("refused_" + run);
    assertThatThrownBy(() -> builder.on("src_" + run, "news", HandlerType.BROADCAST, true, false, "on_news", event -> { }))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("refused_" + run + ".on_news")
        .hasMessageContaining("stable broadcastIdentifier");
    assertThatThrownBy(() -> EventSubscriber.builder().service("refused_" + run, new UnidentifiedBroadcast()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("stable broadcastIdentifier");
  }

  /** events_5c: BROADCAST + reliable delivery + no identifier. */
  public static class UnidentifiedBroadcast {
    @EventHandler(source = ANNOTATED_SOURCE, eventType = "news", handlerType = HandlerType.BROADCAST)
    public void onNews(Object payload) {}
  }

  /** The annotation form: a reliable broadcast with a stable identifier. */
  public static class ReliableBroadcast {
    private final Recorder recorder;

    ReliableBroadcast(Recorder recorder) {
      this.recorder = recorder;
    }

    @EventHandler(source = ANNOTATED_SOURCE, eventType = "news", handlerType = HandlerType.BROADCAST, broadcastIdentifier = "host-1")
    public void onNews(Event event) {
      recorder.onEvent(event);
    }
  }


  @Test
  void singletonHandlersOfDifferentServicesShareOneQueueAndEachEventIsHandledOnceInAll() throws Exception {
    String source = "src_" + run;
    Recorder a = new Recorder("svc_a");
    Recorder b = a.sibling("svc_b");
    String queue = "evt-" + source + "-single_happened";
    raw.deleteLater(queue);
    try (EventSubscriber serviceA = EventSubscriber.builder().uri(uri).service("single_a_" + run)
            .on(source, "single_happened", HandlerType.SINGLETON, true, false, "on_single", a).start();
        EventSubscriber serviceB = EventSubscriber.builder().uri(uri).service("single_b_" + run)
            .on(source, "single_happened", HandlerType.SINGLETON, true, false, "on_other_name", b).start();
        EventDispatcher events = dispatcher(source)) {
      assertThat(serviceA.queues()).containsExactly(queue);
      assertThat(serviceB.queues()).containsExactly(queue);
      raw.declareAsNamekoWould(queue, true, false, false);
      for (int i = 0; i < 8; i++) {
        events.dispatch("single_happened", Map.of("id", i));
      }
      a.awaitCount(8, WAIT);
      Thread.sleep(300); // a duplicate would arrive within this
      assertThat(a.seen()).hasSize(8);
      assertThat(ids(a.seen())).hasSize(8);
      assertThat(a.seenBy("svc_a")).isNotEmpty();
      assertThat(a.seenBy("svc_b")).isNotEmpty();
    }
  }

  @Test
  void aSingletonQueueDeclaredWithOtherFlagsByAnotherPeerIsReportedAtStart() throws Exception {
    String source = "src_" + run;
    String queue = "evt-" + source + "-single_happened";
    raw.deleteLater(queue);
    raw.declareAsNamekoWould(queue, true, false, false); // a Python SINGLETON handler with reliable delivery
    EventSubscriber.Builder unreliable = EventSubscriber.builder().uri(uri).service("single_c_" + run)
        .on(source, "single_happened", HandlerType.SINGLETON, false, false, "on_single", event -> { });
    assertThatThrownBy(unreliable::start)
        .isInstanceOf(TransportException.class)
        .hasMessageContaining("PRECONDITION_FAILED")
        .hasMessageContaining("auto_delete")
        .hasMessageContaining(queue);
  }

  @Test
  void aHandlerThatRaisesWithRequeueOnErrorGetsTheEventAgainUntilItSucceeds() throws Exception {
    String source = "src_" + run;
    List<Event> deliveries = new CopyOnWriteArrayList<>();
    try (EventSubscriber subscriber = EventSubscriber.builder().uri(uri).service("requeue_" + run)
            .on(source, "flaky", HandlerType.SERVICE_POOL, false, true, "on_flaky", event -> {
              deliveries.add(event);
              if (deliveries.size() < 3) {
                throw new IllegalStateException("failure " + deliveries.size());
              }
            }).start();
        EventDispatcher events = dispatcher(source)) {
      events.dispatch("flaky", Map.of("id", 1));
      await().atMost(WAIT).until(() -> deliveries.size() >= 3);
      Thread.sleep(300); // no fourth delivery after the success
      assertThat(deliveries).hasSize(3);
      assertThat(deliveries).extracting(Event::redelivered).containsExactly(false, true, true);
      assertThat(raw.ready(subscriber.queues().get(0))).isZero();
      assertThat(subscriber.isConnected()).isTrue();
    }
  }

  @Test
  void aHandlerThatRaisesWithoutRequeueOnErrorSeesTheEventOnceAndItIsDropped() throws Exception {
    String source = "src_" + run;
    List<Event> deliveries = new CopyOnWriteArrayList<>();
    try (EventSubscriber subscriber = EventSubscriber.builder().uri(uri).service("norequeue_" + run)
            .on(source, "flaky", HandlerType.SERVICE_POOL, false, false, "on_flaky", event -> {
              deliveries.add(event);
              if (((Map<?, ?>) event.payload()).get("id").equals(1)) {
                throw new StackOverflowError("even an Error is only this event's failure");
              }
            }).start();
        EventDispatcher events = dispatcher(source)) {
      events.dispatch("flaky", Map.of("id", 1));
      events.dispatch("flaky", Map.of("id", 2)); // the consumer carries on
      await().atMost(WAIT).until(() -> deliveries.size() >= 2);
      Thread.sleep(300);
      assertThat(deliveries).extracting(e -> (Object) ((Map<?, ?>) e.payload()).get("id")).containsExactlyInAnyOrder(1, 2);
      assertThat(raw.ready(subscriber.queues().get(0))).isZero();
    }
  }

  @Test
  void aReliablePoolQueueKeepsEventsWhileEveryReplicaIsDownAndAnUnreliableOneLosesThem() throws Exception {
    String source = "src_" + run;
    Recorder reliable = new Recorder("reliable");
    Recorder unreliable = new Recorder("unreliable");
    String service = "down_" + run;
    String reliableQueue = "evt-" + source + "-thing_happened--" + service + ".on_thing";
    String unreliableQueue = "evt-" + source + "-unreliable_happened--" + service + ".on_unreliable";
    raw.deleteLater(reliableQueue);
    try (EventDispatcher events = dispatcher(source)) {
      EventSubscriber first = EventSubscriber.builder().uri(uri).service(service)
          .on(source, "thing_happened", HandlerType.SERVICE_POOL, true, false, "on_thing", reliable)
          .on(source, "unreliable_happened", HandlerType.SERVICE_POOL, false, false, "on_unreliable", unreliable).start();
      assertThat(first.queues()).containsExactly(reliableQueue, unreliableQueue);
      raw.declareAsNamekoWould(unreliableQueue, true, false, true); // nameko's flags: auto-delete
      first.close();
      await().atMost(WAIT).until(() -> !raw.queueExists(unreliableQueue));
      for (int i = 0; i < 3; i++) {
        events.dispatch("thing_happened", Map.of("id", i));
      }
      events.dispatch("unreliable_happened", Map.of("id", "lost")); // routed nowhere, and nobody is told
      assertThat(raw.ready(reliableQueue)).isEqualTo(3);
      try (EventSubscriber back = EventSubscriber.builder().uri(uri).service(service)
          .on(source, "thing_happened", HandlerType.SERVICE_POOL, true, false, "on_thing", reliable)
          .on(source, "unreliable_happened", HandlerType.SERVICE_POOL, false, false, "on_unreliable", unreliable).start()) {
        reliable.awaitCount(3, WAIT);
        assertThat(reliable.seen()).extracting(s -> s.event().redelivered()).containsOnly(false);
        Thread.sleep(300);
        assertThat(unreliable.seen()).isEmpty();
      }
    }
  }

  @Test
  void anEventTypeWithWildcardsIsATopicPattern() throws Exception {
    String source = "src_" + run;
    Recorder wild = new Recorder("wild");
    try (EventSubscriber subscriber = EventSubscriber.builder().uri(uri).service("wild_" + run)
            .on(source, "wild.*", HandlerType.SERVICE_POOL, false, false, "on_wild", wild).start();
        EventDispatcher events = dispatcher(source)) {
      assertThat(subscriber.queues()).containsExactly("evt-" + source + "-wild.*--wild_" + run + ".on_wild");
      events.dispatch("wild.two.three", Map.of("id", "no"));
      events.dispatch("wild", Map.of("id", "no either"));
      events.dispatch("wild.one", Map.of("id", "yes"));
      wild.awaitCount(1, WAIT);
      Thread.sleep(300);
      assertThat(wild.seen()).extracting(s -> s.event().type()).containsExactly("wild.one");
    }
  }

  /** A payload converted to the handler's parameter type, as rpc arguments are. */
  public record Order(String id, int quantity) {}

  /** Annotated handlers on a fixed source; the run id in the payload tells this run's events apart. */
  public static class Stock {
    final List<Order> orders = new CopyOnWriteArrayList<>();
    final List<String> runs;

    Stock(List<String> runs) {
      this.runs = runs;
    }

    @EventHandler(source = ANNOTATED_SOURCE, eventType = "order_created", reliableDelivery = false)
    public void onOrderCreated(Order order) {
      if (runs.stream().anyMatch(order.id()::startsWith)) {
        orders.add(order);
      }
    }
  }

  @Test
  void annotatedHandlersReceiveThePayloadAsTheirParameterType() throws Exception {
    Stock stock = new Stock(List.of(run));
    try (EventSubscriber subscriber = EventSubscriber.builder().uri(uri).service("stock_" + run, stock).start();
        EventDispatcher events = dispatcher(ANNOTATED_SOURCE)) {
      assertThat(subscriber.queues()).containsExactly("evt-" + ANNOTATED_SOURCE + "-order_created--stock_" + run + ".on_order_created");
      events.dispatch("order_created", Map.of("id", run + "-1", "quantity", 3));
      await().atMost(WAIT).until(() -> !stock.orders.isEmpty());
      assertThat(stock.orders).containsExactly(new Order(run + "-1", 3));
    }
  }

  @Test
  void stoppingLetsRunningHandlersFinishAndGivesBackEventsCutShort() throws Exception {
    String source = "src_" + run;
    CountDownLatch running = new CountDownLatch(1);
    AtomicInteger finished = new AtomicInteger();
    List<Object> secondLife = new ArrayList<>();
    String service = "stop_" + run;
    String queue = "evt-" + source + "-slow--" + service + ".on_slow";
    raw.deleteLater(queue);
    try (EventDispatcher events = dispatcher(source)) {
      EventSubscriber first = EventSubscriber.builder().uri(uri).service(service).maxWorkers(1)
          .on(source, "slow", HandlerType.SERVICE_POOL, true, false, "on_slow", event -> {
            running.countDown();
            Thread.sleep(60_000); // far longer than the grace below: cut short
            finished.incrementAndGet();
          }).start();
      events.dispatch("slow", Map.of("id", "cut-short"));
      assertThat(running.await(15, TimeUnit.SECONDS)).isTrue();
      first.stop(Duration.ofMillis(200));
      assertThat(finished).hasValue(0);
      try (EventSubscriber again = EventSubscriber.builder().uri(uri).service(service)
          .on(source, "slow", HandlerType.SERVICE_POOL, true, false, "on_slow", event -> {
            synchronized (secondLife) {
              secondLife.add(event.redelivered());
            }
          }).start()) {
        await().atMost(WAIT).until(() -> {
          synchronized (secondLife) {
            return !secondLife.isEmpty();
          }
        });
        synchronized (secondLife) {
          assertThat(secondLife).containsExactly(true); // at-least-once: the broker gives it back
        }
      }
    }
  }
}
