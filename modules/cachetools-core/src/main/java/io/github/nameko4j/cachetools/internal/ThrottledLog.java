package io.github.nameko4j.cachetools.internal;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/** Logs a recurring warning at most once per interval, with the count of those it held back. */
public final class ThrottledLog {
  private final Logger log;
  private final long intervalNanos;
  private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong suppressed = new AtomicLong();

  public ThrottledLog(Logger log, Duration interval) {
    this.log = log;
    this.intervalNanos = interval.toNanos();
  }

  public void warn(String format, Object... args) {
    long now = System.nanoTime();
    long due = next.get();
    if ((due == Long.MIN_VALUE || now - due >= 0) && next.compareAndSet(due, now + intervalNanos)) {
      long held = suppressed.getAndSet(0);
      if (held > 0) {
        log.warn(format + " (and {} similar since the last report)", append(args, held));
      } else {
        log.warn(format, args);
      }
    } else {
      suppressed.incrementAndGet();
      log.debug(format, args);
    }
  }

  private static Object[] append(Object[] args, Object extra) {
    Object[] out = Arrays.copyOf(args, args.length + 1);
    out[args.length] = extra;
    return out;
  }
}
