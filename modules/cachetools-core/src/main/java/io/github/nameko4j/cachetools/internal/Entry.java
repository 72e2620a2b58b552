package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.rpc.CodecException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * What the store holds for one reply: a header, then the codec's bytes. The header says until when
 * the reply is fresh by the writer's policy (so a store may keep it past that, for failover), when
 * it was written (so a reader with a shorter ttl judges it by its own), the invalidation stamp the
 * writer had seen when its fetch started, and the reply's tags (so an invalidation that came
 * later, of its key, method, service or tag, makes it stale everywhere).
 *
 * <p>Format 2: {@code [2][fresh-until 8][written-at 8][seen 8][tag count 1]([length 2][utf-8])*[payload]}.
 * Format 1 ({@code [1][fresh-until 8][payload]}, older entries) is still read: it has seen stamp 0
 * and no write time.
 */
public final class Entry {
  static final byte FORMAT_1 = 1;
  static final byte FORMAT_2 = 2;
  static final int HEADER_1 = 9;
  private static final int FIXED_2 = 1 + 8 + 8 + 8 + 1;
  /** At most this many tags per entry, each at most {@link #MAX_TAG_BYTES} in UTF-8. */
  public static final int MAX_TAGS = 32;
  public static final int MAX_TAG_BYTES = 512;
  /** Fresh forever. */
  public static final long NO_DEADLINE = Long.MAX_VALUE;
  /** Write time unknown (a format 1 entry). */
  public static final long UNKNOWN_TIME = Long.MIN_VALUE;

  private Entry() {}

  /** A decoded header and where the payload starts. */
  public record Header(long freshUntil, long writtenAt, long seen, List<String> tags, int payloadOffset) {}

  /**
   * @throws IllegalArgumentException more than {@link #MAX_TAGS} tags, or one too long
   */
  public static byte[] wrap(long freshUntilMillis, long writtenAtMillis, long seen, Collection<String> tags, byte[] payload) {
    if (tags.size() > MAX_TAGS) {
      throw new IllegalArgumentException("a reply may carry at most " + MAX_TAGS + " tags, not " + tags.size());
    }
    List<byte[]> encoded = new ArrayList<>(tags.size());
    int size = FIXED_2 + payload.length;
    for (String tag : tags) {
      byte[] t = tag.getBytes(StandardCharsets.UTF_8);
      if (t.length > MAX_TAG_BYTES) {
        throw new IllegalArgumentException("tag '" + tag.substring(0, Math.min(40, tag.length())) + "...' is over " + MAX_TAG_BYTES + " bytes");
      }
      encoded.add(t);
      size += 2 + t.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size).put(FORMAT_2).putLong(freshUntilMillis).putLong(writtenAtMillis).putLong(seen)
        .put((byte) encoded.size());
    for (byte[] t : encoded) {
      b.putShort((short) t.length).put(t);
    }
    return b.put(payload).array();
  }

  /** A format 1 entry: for tests that forge old entries. */
  public static byte[] wrap(long freshUntilMillis, byte[] payload) {
    return ByteBuffer.allocate(HEADER_1 + payload.length).put(FORMAT_1).putLong(freshUntilMillis).put(payload).array();
  }

  /** @throws CodecException too short, truncated or an unknown format */
  public static Header header(byte[] entry) {
    if (entry.length < HEADER_1) {
      throw new CodecException("cache entry of " + entry.length + " bytes is shorter than its header");
    }
    ByteBuffer b = ByteBuffer.wrap(entry);
    byte format = b.get();
    if (format == FORMAT_1) {
      return new Header(b.getLong(), UNKNOWN_TIME, 0, List.of(), HEADER_1);
    }
    if (format != FORMAT_2) {
      throw new CodecException("cache entry has unknown format " + format);
    }
    if (entry.length < FIXED_2) {
      throw new CodecException("cache entry of " + entry.length + " bytes is shorter than its header");
    }
    long freshUntil = b.getLong();
    long writtenAt = b.getLong();
    long seen = b.getLong();
    int count = b.get() & 0xff;
    if (count > MAX_TAGS) {
      throw new CodecException("cache entry claims " + count + " tags");
    }
    List<String> tags = count == 0 ? List.of() : new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      if (b.remaining() < 2) {
        throw new CodecException("cache entry's tags are truncated");
      }
      int length = b.getShort() & 0xffff;
      if (length > MAX_TAG_BYTES || length > b.remaining()) {
        throw new CodecException("cache entry's tags are truncated or too long");
      }
      tags.add(new String(entry, b.position(), length, StandardCharsets.UTF_8));
      b.position(b.position() + length);
    }
    return new Header(freshUntil, writtenAt, seen, tags, b.position());
  }

  /** The fresh-until deadline. @throws CodecException as {@link #header} */
  public static long freshUntil(byte[] entry) {
    return header(entry).freshUntil();
  }

  /** The codec's bytes. @throws CodecException as {@link #header} */
  public static byte[] payload(byte[] entry) {
    int offset = header(entry).payloadOffset();
    byte[] payload = new byte[entry.length - offset];
    System.arraycopy(entry, offset, payload, 0, payload.length);
    return payload;
  }
}
