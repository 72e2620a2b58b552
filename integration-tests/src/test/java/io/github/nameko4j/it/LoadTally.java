package io.github.nameko4j.it;

import io.github.nameko4j.cachetools.CachedReply;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Counts calls by phase and outcome, and the worst latency per phase, for fault tests' reports. */
final class LoadTally {
  final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  final Map<String, AtomicLong> worstMillis = new ConcurrentHashMap<>();

  void record(String phase, String outcome, long millis) {
    counts.computeIfAbsent(phase + " " + outcome, k -> new AtomicLong()).incrementAndGet();
    worstMillis.computeIfAbsent(phase, k -> new AtomicLong()).accumulateAndGet(millis, Math::max);
  }

  static String outcome(CachedReply reply) {
    return reply.source() == CachedReply.Source.SERVICE ? "service" : "cache";
  }

  long count(String phase, String outcome) {
    AtomicLong n = counts.get(phase + " " + outcome);
    return n == null ? 0 : n.get();
  }

  long worst(String phase) {
    AtomicLong n = worstMillis.get(phase);
    return n == null ? 0 : n.get();
  }

  @Override
  public String toString() {
    return new TreeMap<>(counts) + " worst ms " + new TreeMap<>(worstMillis);
  }
}
