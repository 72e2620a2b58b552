package io.github.nameko4j.rpc.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.UTF8JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Writes long strings of printable ASCII (ids, base64, hex, most bulk text) as their bytes. With
 * {@code ESCAPE_NON_ASCII} on, as kombu's {@code ensure_ascii} requires, Jackson checks and copies
 * every character on a slow path (about 2.4 ns a character, most of a 1 MB reply's cost); a
 * string that needs no escaping at all is written byte for byte identically by one intrinsic copy
 * after one scan. Anything else (short, non-ASCII, quotes, backslashes, control characters, a
 * generator that writes characters rather than bytes) takes Jackson's own path.
 */
final class AsciiStringSerializer extends StdSerializer<String> {
  /** Below this, Jackson's own path costs less than a scan and a copy. */
  private static final int MIN_LENGTH = 512;

  AsciiStringSerializer() {
    super(String.class);
  }

  @Override
  public void serialize(String value, JsonGenerator gen, SerializerProvider provider) throws IOException {
    if (gen instanceof UTF8JsonGenerator && value.length() >= MIN_LENGTH) {
      byte[] bytes = asciiNeedingNoEscape(value);
      if (bytes != null) {
        gen.writeRawUTF8String(bytes, 0, bytes.length); // quoted, written as is
        return;
      }
    }
    gen.writeString(value);
  }

  /**
   * The string's bytes if every character is printable ASCII other than the quote and the
   * backslash (0x7f included, as Python writes it); else null.
   */
  static byte[] asciiNeedingNoEscape(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1); // a plain copy for Latin-1 strings
    return AsciiScan.isCleanAscii(s, bytes) ? bytes : null;
  }
}
