package io.github.nameko4j.benchmarks;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.consumer.RecordingStream;

/**
 * Counts JFR's {@code jdk.VirtualThreadPinned} events (Java 21+): a virtual thread that blocked
 * while pinned to its carrier. Every pinning is counted, however short.
 */
final class PinnedEvents implements AutoCloseable {
  private final RecordingStream stream = new RecordingStream();
  private final AtomicLong count = new AtomicLong();

  private PinnedEvents() {
    stream.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
    stream.onEvent("jdk.VirtualThreadPinned", event -> {
      if (count.incrementAndGet() <= 3) {
        System.err.println("[bench] pinned: " + event);
      }
    });
    stream.startAsync();
  }

  static PinnedEvents start() {
    return new PinnedEvents();
  }

  /** Events so far (the stream delivers them with a short delay: flushed first). */
  long count() throws InterruptedException {
    Thread.sleep(1500); // JFR flushes about once a second
    return count.get();
  }

  @Override
  public void close() {
    stream.close();
  }
}
