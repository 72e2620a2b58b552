package io.github.nameko4j.benchmarks;

import io.github.nameko4j.testsupport.Latencies;
import io.github.nameko4j.testsupport.SideBySide;
import io.github.nameko4j.testsupport.SideBySide.Call;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** How every row measures: warm-up, alternating rounds of ours and the baseline, throughput, and the table's number formats. */
final class Measure {
  private Measure() {}

  static String f1(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  /** A difference in µs, written in ms with its sign: "+24.8 ms", "-0.2 ms". */
  static String signedMs(double micros) {
    return String.format(Locale.ROOT, "%+.1f ms", micros / 1000);
  }

  static String f2(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  static String met(boolean ok) {
    return ok ? "yes" : "**no**";
  }

  static void log(String what) {
    System.err.println("[bench] " + what);
  }

  interface Section {
    void run() throws Exception;
  }

  /** Mean latency in µs of {@code calls} sequential calls. */
  static double sequential(Call call, int calls, int offset) throws Exception {
    long start = System.nanoTime();
    for (int i = 0; i < calls; i++) {
      call.run(offset + i);
    }
    return (System.nanoTime() - start) / 1e3 / calls;
  }

  /** Calls per second with {@code callers} threads for {@code seconds}. */
  static double throughput(Call call, int callers, double seconds) throws Exception {
    return throughput(call, callers, seconds, Executors.newFixedThreadPool(callers));
  }

  /** Calls per second with {@code callers} tasks on {@code pool} for {@code seconds}; shuts the pool down. */
  static double throughput(Call call, int callers, double seconds, ExecutorService pool) throws Exception {
    AtomicLong done = new AtomicLong();
    AtomicInteger seq = new AtomicInteger();
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    List<Future<?>> futures = new ArrayList<>();
    long start = System.nanoTime();
    for (int t = 0; t < callers; t++) {
      futures.add(pool.submit(() -> {
        while (System.nanoTime() < deadline) {
          call.run(seq.incrementAndGet());
          done.incrementAndGet();
        }
        return null;
      }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    return done.get() / elapsed;
  }

  static Latencies[] alternateSamples(int rounds, Call a, Call b, int callsPerRound) throws Exception {
    return SideBySide.alternate(rounds, a, b, callsPerRound);
  }

  static void warmUp(Call call, double seconds) throws Exception {
    SideBySide.warmUp(call, seconds);
  }

  static String micros(Latencies stats, double percentile) {
    return f1(stats.percentileMillis(percentile) * 1000);
  }

  /** Alternates A and B in short rounds, so drift hits both alike; returns {mean A, mean B}. */
  static double[] alternate(int rounds, Call a, Call b, int callsPerRound) throws Exception {
    double sumA = 0;
    double sumB = 0;
    for (int r = 0; r < rounds; r++) {
      sumA += sequential(a, callsPerRound, r * callsPerRound);
      sumB += sequential(b, callsPerRound, r * callsPerRound);
    }
    return new double[] {sumA / rounds, sumB / rounds};
  }

}
