package io.github.nameko4j.cachetools.redis.internal;

import io.github.nameko4j.rpc.CodecException;
import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * LZ4 compression of large values, at the store level: what the proxies read and write is never
 * compressed, what Redis holds may be. A compressed value is {@code [magic 4][algorithm
 * 1][original length 4][LZ4 block]}; any other value is stored as it is, so entries written
 * before compression was turned on (or by a replica with it off) stay readable, and every
 * replica reads compressed ones whatever its own setting. A value that would be mistaken for a
 * compressed one is always stored compressed. Thread-safe.
 *
 * <p>The pure-Java LZ4 ({@code LZ4Factory.safeInstance()}): no native code, no {@code
 * sun.misc.Unsafe}. Decompression is bounded: a value claiming more than {@code maxBytes}, or
 * whose block does not decompress to exactly the length it claims, is refused before or
 * without allocating more than that.
 */
public final class Compression {
  private static final byte[] MAGIC = {0, 'N', '4', 'Z'};
  private static final byte LZ4_BLOCK = 1;
  private static final int HEADER = MAGIC.length + 1 + 4;
  private static final LZ4Factory LZ4 = LZ4Factory.safeInstance();
  private static final LZ4Compressor COMPRESSOR = LZ4.fastCompressor();
  private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4.safeDecompressor();

  private final int threshold; // 0: off
  private final int maxBytes;

  /**
   * @param threshold values of at least this many bytes are compressed; 0 for none
   * @param maxBytes the most a compressed value may claim to decompress to
   */
  public Compression(int threshold, int maxBytes) {
    this.threshold = threshold;
    this.maxBytes = maxBytes;
  }

  /** The bytes to store for {@code value}: compressed when large and smaller so, else itself. */
  public byte[] encode(byte[] value) {
    boolean mistakable = looksCompressed(value);
    if (!mistakable && (threshold == 0 || value.length < threshold)) {
      return value;
    }
    byte[] out = new byte[HEADER + COMPRESSOR.maxCompressedLength(value.length)];
    int length = COMPRESSOR.compress(value, 0, value.length, out, HEADER, out.length - HEADER);
    if (!mistakable && HEADER + length >= value.length) {
      return value; // incompressible: storing it as it is costs less to read
    }
    ByteBuffer.wrap(out).put(MAGIC).put(LZ4_BLOCK).putInt(value.length);
    byte[] stored = new byte[HEADER + length];
    System.arraycopy(out, 0, stored, 0, stored.length);
    return stored;
  }

  /**
   * The value stored as {@code stored}.
   *
   * @throws CodecException a compressed value that is truncated, of an unknown algorithm,
   *     claims more than the limit, or does not decompress to what it claims
   */
  public byte[] decode(byte[] stored) {
    if (stored == null || !looksCompressed(stored)) {
      return stored;
    }
    if (stored.length < HEADER) {
      throw new CodecException("compressed cache value of " + stored.length + " bytes is shorter than its header");
    }
    ByteBuffer b = ByteBuffer.wrap(stored, MAGIC.length, HEADER - MAGIC.length);
    byte algorithm = b.get();
    if (algorithm != LZ4_BLOCK) {
      throw new CodecException("compressed cache value uses unknown algorithm " + algorithm);
    }
    int length = b.getInt();
    if (length < 0 || length > maxBytes) {
      throw new CodecException("compressed cache value claims " + Integer.toUnsignedString(length)
          + " bytes, over the limit of " + maxBytes);
    }
    byte[] value = new byte[length];
    int got;
    try {
      got = DECOMPRESSOR.decompress(stored, HEADER, stored.length - HEADER, value, 0, length);
    } catch (LZ4Exception | ArrayIndexOutOfBoundsException e) {
      throw new CodecException("compressed cache value is corrupt: " + e.getMessage(), e);
    }
    if (got != length) {
      throw new CodecException("compressed cache value decompressed to " + got + " bytes, not the " + length + " it claims");
    }
    return value;
  }

  /** True if values of this size are compressed (when compression makes them smaller). */
  public boolean compresses(int size) {
    return threshold > 0 && size >= threshold;
  }

  private static boolean looksCompressed(byte[] value) {
    return value.length >= MAGIC.length && value[0] == MAGIC[0] && value[1] == MAGIC[1] && value[2] == MAGIC[2]
        && value[3] == MAGIC[3];
  }
}
