package io.github.nameko4j.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock a test moves by hand, for ttls and windows: give it to a proxy's {@code clock(...)} or
 * an in-process store's, then {@link #advance} past an entry's ttl instead of sleeping.
 * Thread-safe.
 */
public final class ManualClock extends Clock {
  private final AtomicLong millis;

  /** A clock at the current time. */
  public ManualClock() {
    this(Instant.now());
  }

  public ManualClock(Instant start) {
    this.millis = new AtomicLong(start.toEpochMilli());
  }

  /** Moves the clock forward (a negative duration moves it back). */
  public ManualClock advance(Duration by) {
    millis.addAndGet(by.toMillis());
    return this;
  }

  @Override
  public long millis() {
    return millis.get();
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis.get());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this; // the zone plays no part in what it is used for
  }
}
