package io.github.nameko4j.rpc.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds runs of JSON-clean ASCII (printable, 0x20-0x7f, neither the quote nor the backslash) eight
 * bytes at a time: a long string of them is written and read as its bytes, where Jackson checks
 * and copies each character on its own (about 1.5 ns a character each way, most of what a 1 MB
 * message cost us beyond the broker's copy).
 */
final class AsciiScan {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long SPACES = 0x2020202020202020L;
  private static final long QUOTES = 0x2222222222222222L;
  private static final long BACKSLASHES = 0x5c5c5c5c5c5c5c5cL;
  private static final long QUESTION_MARKS = 0x3f3f3f3f3f3f3f3fL;

  private AsciiScan() {}

  /** The index of the first byte in {@code [from, to)} that is not clean ASCII, or {@code to}. */
  static int cleanUntil(byte[] b, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      if (special((long) LONGS.get(b, i)) != 0) {
        break; // one of these eight is the first unclean byte
      }
    }
    for (; i < to; i++) {
      if (!clean(b[i])) {
        return i;
      }
    }
    return to;
  }

  /**
   * Whether {@code bytes}, {@code s} encoded as Latin-1, is all clean ASCII and really is {@code s}:
   * the encoder writes '?' for a character Latin-1 cannot hold, so each '?' is checked against the
   * string.
   */
  static boolean isCleanAscii(String s, byte[] bytes) {
    int i = 0;
    for (; i + 8 <= bytes.length; i += 8) {
      long word = (long) LONGS.get(bytes, i);
      if ((special(word) | zeroByte(word ^ QUESTION_MARKS)) != 0 && !cleanBytes(s, bytes, i, i + 8)) {
        return false;
      }
    }
    return cleanBytes(s, bytes, i, bytes.length);
  }

  private static boolean cleanBytes(String s, byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      byte c = bytes[i];
      if (!clean(c) || (c == '?' && s.charAt(i) != '?')) {
        return false;
      }
    }
    return true;
  }

  private static boolean clean(byte c) {
    return c >= 0x20 && c != '"' && c != '\\'; // bytes from 0x80 are negative
  }

  /** Non-zero when some byte of {@code word} is below 0x20, from 0x80, a quote or a backslash. */
  private static long special(long word) {
    // (word - 0x20...) & ~word finds a byte below 0x20 exactly when no byte is from 0x80, and a
    // byte from 0x80 is reported anyway.
    return ((((word - SPACES) & ~word) | word) & HIGHS)
        | zeroByte(word ^ QUOTES)
        | zeroByte(word ^ BACKSLASHES);
  }

  /** Non-zero (in the high bits) when some byte of {@code word} is zero. */
  private static long zeroByte(long word) {
    return (word - ONES) & ~word & HIGHS;
  }
}
