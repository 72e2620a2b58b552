package io.github.nameko4j.rpc.internal;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Random (v4) UUID strings for correlation and call ids. They only need to be unique, not secret:
 * ThreadLocalRandom avoids the lock and system calls of UUID.randomUUID()'s SecureRandom on the
 * hot path of every call.
 */
public final class Ids {
  private Ids() {}

  public static String uuid() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long msb = (r.nextLong() & 0xffffffffffff0fffL) | 0x0000000000004000L; // version 4
    long lsb = (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L; // IETF variant
    return new UUID(msb, lsb).toString();
  }
}
