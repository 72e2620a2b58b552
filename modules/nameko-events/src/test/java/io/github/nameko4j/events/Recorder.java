package io.github.nameko4j.events;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Collects the events a handler saw, for tests to wait on. Thread-safe. */
final class Recorder implements EventListener {
  /** What one handler invocation saw, and on which instance. */
  record Seen(String instance, Event event, String threadName) {}

  private final String instance;
  private final List<Seen> seen;

  /** A recorder of its own. */
  Recorder(String instance) {
    this(instance, new ArrayList<>());
  }

  private Recorder(String instance, List<Seen> shared) {
    this.instance = instance;
    this.seen = shared;
  }

  /** Another instance's recorder writing to the same list (replicas of one test). */
  Recorder sibling(String otherInstance) {
    return new Recorder(otherInstance, seen);
  }

  @Override
  public void onEvent(Event event) {
    synchronized (seen) {
      seen.add(new Seen(instance, event, Thread.currentThread().getName()));
    }
  }

  List<Seen> seen() {
    synchronized (seen) {
      return List.copyOf(seen);
    }
  }

  List<Seen> seenBy(String which) {
    return seen().stream().filter(s -> s.instance().equals(which)).toList();
  }

  /** Waits until at least {@code count} events were seen. */
  List<Seen> awaitCount(int count, Duration within) {
    await().atMost(within).pollInterval(Duration.ofMillis(20)).until(() -> seen().size() >= count);
    return seen();
  }

  /** Waits until one event matching {@code which} was seen, and returns it. */
  Seen awaitOne(Predicate<Seen> which, Duration within) {
    await().atMost(within).pollInterval(Duration.ofMillis(20)).until(() -> seen().stream().anyMatch(which));
    return seen().stream().filter(which).findFirst().orElseThrow();
  }
}
