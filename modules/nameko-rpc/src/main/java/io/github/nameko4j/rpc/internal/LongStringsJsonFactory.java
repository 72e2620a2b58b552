package io.github.nameko4j.rpc.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import com.fasterxml.jackson.core.sym.ByteQuadsCanonicalizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Jackson's factory, except that a message body of some size is read by a parser that takes a
 * long string of clean ASCII (printable, no quote, no backslash: ids, base64, hex, most bulk text)
 * straight from the body's bytes: one eight-bytes-at-a-time scan and one Latin-1 copy, where
 * Jackson decodes each character into a char buffer, joins the buffers and compacts the result
 * (1.5 ms per MB against 0.5). Anything else in the body, and every string that is short or holds
 * an escape or a non-ASCII character, is read by Jackson as before, with the same constraints.
 */
final class LongStringsJsonFactory extends JsonFactory {
  private static final long serialVersionUID = 1L;
  /** Smaller bodies hold no string long enough to pay for the scan. */
  static final int MIN_BODY = 8 * 1024;
  /** Below this, Jackson's own loop costs less than a scan and a copy. */
  static final int MIN_STRING = 512;

  LongStringsJsonFactory(JsonFactoryBuilder builder) {
    super(builder);
  }

  private LongStringsJsonFactory(LongStringsJsonFactory src, ObjectCodec codec) {
    super(src, codec);
  }

  @Override
  public JsonFactory copy() {
    return new LongStringsJsonFactory(this, null);
  }

  @Override
  protected JsonParser _createParser(byte[] data, int offset, int len, IOContext ctxt) throws IOException {
    if (len < MIN_BODY || !plainUtf8(data, offset) || !isEnabled(Feature.CANONICALIZE_FIELD_NAMES)) {
      return super._createParser(data, offset, len, ctxt); // encoding detection, BOMs and the rest as Jackson does them
    }
    return new Parser(ctxt, _parserFeatures, _objectCodec, _byteSymbolCanonicalizer.makeChildOrPlaceholder(_factoryFeatures),
        data, offset, offset + len);
  }

  /** UTF-8 without a byte order mark: what Jackson's detection would also decide (no zero byte, no BOM up front). */
  private static boolean plainUtf8(byte[] data, int offset) {
    for (int i = offset; i < offset + 4; i++) {
      if (data[i] == 0) {
        return false; // UTF-16 or UTF-32
      }
    }
    int first = data[offset] & 0xff;
    return first != 0xef && first != 0xfe && first != 0xff;
  }

  private static final class Parser extends UTF8StreamJsonParser {
    Parser(IOContext ctxt, int features, ObjectCodec codec, ByteQuadsCanonicalizer symbols, byte[] data, int start, int end) {
      super(ctxt, features, null, codec, symbols, data, start, end, 0, false);
    }

    @Override
    protected void _finishString() throws IOException {
      String s = cleanString();
      if (s == null) {
        super._finishString();
      }
    }

    @Override
    protected String _finishAndReturnString() throws IOException {
      String s = cleanString();
      return s != null ? s : super._finishAndReturnString();
    }

    /**
     * The string token being read, if it is long and clean ASCII up to its closing quote (then
     * also the text buffer's content, and the parser is past the quote); else null, nothing read.
     */
    private String cleanString() throws IOException {
      int start = _inputPtr;
      if (_inputStream != null || _inputEnd - start < MIN_STRING) {
        return null;
      }
      int end = AsciiScan.cleanUntil(_inputBuffer, start, _inputEnd);
      if (end - start < MIN_STRING || end >= _inputEnd || _inputBuffer[end] != '"') {
        return null;
      }
      _streamReadConstraints.validateStringLength(end - start);
      String s = new String(_inputBuffer, start, end - start, StandardCharsets.ISO_8859_1);
      _textBuffer.resetWithString(s);
      _inputPtr = end + 1;
      return s;
    }
  }
}
