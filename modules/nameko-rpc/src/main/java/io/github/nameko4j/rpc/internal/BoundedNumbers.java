package io.github.nameko4j.rpc.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.NumberDeserializers;
import io.github.nameko4j.rpc.CodecException;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Jackson deserializers that hold arbitrary-precision numbers to {@link Json}'s bounds in every
 * form they arrive in. Without them a parameter of type {@code BigDecimal} took the plain string
 * {@code "1E+10000000"} (as older kombu sends a Decimal), and a method rounding it to cents ran
 * for tens of seconds per request.
 */
final class BoundedNumbers {
  private BoundedNumbers() {}

  /** BigDecimal: a string is parsed by {@link Json#decimal}, anything else checked once read. */
  static final class Decimals extends NumberDeserializers.BigDecimalDeserializer {
    private static final long serialVersionUID = 1L;

    @Override
    public BigDecimal deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      try {
        if (p.hasToken(JsonToken.VALUE_STRING)) {
          return Json.decimal(p.getText());
        }
        BigDecimal value = super.deserialize(p, ctxt);
        return value == null ? null : Json.bounded(value);
      } catch (CodecException e) {
        throw ctxt.weirdStringException(p.getText(), BigDecimal.class, e.getMessage());
      }
    }
  }

  /** BigInteger: at most {@link Json#MAX_NUMBER_DIGITS} digits from a string or a decimal. */
  static final class Integers extends NumberDeserializers.BigIntegerDeserializer {
    private static final long serialVersionUID = 1L;

    @Override
    public BigInteger deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      try {
        if (p.hasToken(JsonToken.VALUE_STRING)) {
          String text = p.getText().trim();
          if (text.length() > Json.MAX_NUMBER_DIGITS + 1) {
            throw new CodecException("integer of " + text.length() + " characters is longer than " + Json.MAX_NUMBER_DIGITS + " digits");
          }
        } else if (p.hasToken(JsonToken.VALUE_NUMBER_FLOAT) || p.hasToken(JsonToken.VALUE_EMBEDDED_OBJECT)) {
          Object number = p.hasToken(JsonToken.VALUE_EMBEDDED_OBJECT) ? p.getEmbeddedObject() : p.getNumberValue();
          if (number instanceof BigDecimal) {
            Json.bounded((BigDecimal) number);
          }
        }
        return super.deserialize(p, ctxt);
      } catch (CodecException e) {
        throw ctxt.weirdStringException(p.getText(), BigInteger.class, e.getMessage());
      }
    }
  }
}
