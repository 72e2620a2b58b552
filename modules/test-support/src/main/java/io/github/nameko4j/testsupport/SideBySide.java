package io.github.nameko4j.testsupport;

/**
 * Measures ours beside a baseline in one run, alternating short rounds so that whatever else the
 * machine does hits both alike: on a shared 2-core machine only such ratios mean anything.
 */
public final class SideBySide {
  private SideBySide() {}

  /** One call of what is measured; {@code i} numbers the calls (negative while warming up). */
  public interface Call {
    void run(int i) throws Exception;
  }

  /** Runs {@code call} for {@code seconds}, so the JIT has compiled the whole path before measuring. */
  public static void warmUp(Call call, double seconds) throws Exception {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    for (int i = 0; System.nanoTime() < end; i++) {
      call.run(-1 - i);
    }
  }

  /** {@code rounds} rounds of {@code callsPerRound} calls of A then of B; every call's latency kept. */
  public static Latencies[] alternate(int rounds, Call a, Call b, int callsPerRound) throws Exception {
    Latencies la = new Latencies(rounds * callsPerRound);
    Latencies lb = new Latencies(rounds * callsPerRound);
    for (int r = 0; r < rounds; r++) {
      timed(a, callsPerRound, r * callsPerRound, la);
      timed(b, callsPerRound, r * callsPerRound, lb);
    }
    return new Latencies[] {la, lb};
  }

  private static void timed(Call call, int calls, int offset, Latencies into) throws Exception {
    for (int i = 0; i < calls; i++) {
      long start = System.nanoTime();
      call.run(offset + i);
      into.add(System.nanoTime() - start);
    }
  }
}
