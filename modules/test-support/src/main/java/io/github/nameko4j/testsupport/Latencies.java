package io.github.nameko4j.testsupport;

import java.util.Arrays;

/** Latency samples in nanoseconds, for figures put beside a baseline measured the same way. Thread-safe. */
public final class Latencies {
  private final long[] samples;
  private int n;

  public Latencies(int capacity) {
    samples = new long[capacity];
  }

  public synchronized void add(long nanos) {
    if (n < samples.length) {
      samples[n++] = nanos;
    }
  }

  public synchronized double percentileMillis(double p) {
    long[] sorted = Arrays.copyOf(samples, n);
    Arrays.sort(sorted);
    int index = (int) Math.min(n - 1, Math.max(0, Math.ceil(p / 100.0 * n) - 1));
    return sorted[index] / 1e6;
  }

  public synchronized double meanMicros() {
    long sum = 0;
    for (int i = 0; i < n; i++) {
      sum += samples[i];
    }
    return n == 0 ? 0 : sum / 1e3 / n;
  }

  public synchronized double maxMillis() {
    long max = 0;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, samples[i]);
    }
    return max / 1e6;
  }

  public synchronized int count() {
    return n;
  }
}
