package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.rpc.CodecException;
import java.nio.ByteBuffer;

/**
 * What the store holds for one reply: a format byte, the instant (epoch millis) until which the
 * reply is fresh, then the codec's bytes. The freshness deadline travels with the value so that a
 * store may keep an entry past its ttl (the stale window) for failover.
 */
public final class Entry {
  static final byte FORMAT = 1;
  static final int HEADER = 9;
  /** Fresh forever. */
  public static final long NO_DEADLINE = Long.MAX_VALUE;

  private Entry() {}

  public static byte[] wrap(long freshUntilMillis, byte[] payload) {
    return ByteBuffer.allocate(HEADER + payload.length).put(FORMAT).putLong(freshUntilMillis).put(payload).array();
  }

  /** @throws CodecException too short or an unknown format */
  public static long freshUntil(byte[] entry) {
    check(entry);
    return ByteBuffer.wrap(entry, 1, 8).getLong();
  }

  public static byte[] payload(byte[] entry) {
    check(entry);
    byte[] payload = new byte[entry.length - HEADER];
    System.arraycopy(entry, HEADER, payload, 0, payload.length);
    return payload;
  }

  private static void check(byte[] entry) {
    if (entry.length < HEADER) {
      throw new CodecException("cache entry of " + entry.length + " bytes is shorter than its header");
    }
    if (entry[0] != FORMAT) {
      throw new CodecException("cache entry has unknown format " + entry[0]);
    }
  }
}
