package io.github.nameko4j.cli;

import io.github.nameko4j.rpc.Rpc;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/** The demo service {@code echo_java}: stateless, so safe for any number of workers. */
public final class EchoJava {
  /** Raised by {@link #boom}; its class name is what callers see as exc_type. */
  public static final class EchoError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EchoError(String message) {
      super(message);
    }
  }

  @Rpc
  public Object echo(Object x) {
    return x;
  }

  /** Python's {@code a + b} for numbers, strings and lists. */
  @Rpc
  public Object add(Object a, Object b) {
    if (a instanceof String && b instanceof String) {
      return (String) a + b;
    }
    if (a instanceof List && b instanceof List) {
      List<Object> out = new ArrayList<>((List<?>) a);
      out.addAll((List<?>) b);
      return out;
    }
    if (a instanceof Number && b instanceof Number) {
      Number x = (Number) a;
      Number y = (Number) b;
      if (x instanceof Double || y instanceof Double) {
        return x.doubleValue() + y.doubleValue();
      }
      return new BigInteger(x.toString()).add(new BigInteger(y.toString()));
    }
    throw new IllegalArgumentException("unsupported operand types for +: " + typeName(a) + " and " + typeName(b));
  }

  @Rpc
  public Object boom(String message) {
    throw new EchoError(message);
  }

  @Rpc
  public Object slow(double seconds, Object x) throws InterruptedException {
    if (seconds < 0 || seconds > 3600) {
      throw new IllegalArgumentException("seconds must be between 0 and 3600, was " + seconds);
    }
    Thread.sleep((long) (seconds * 1000));
    return x;
  }

  private static String typeName(Object o) {
    return o == null ? "None" : o.getClass().getSimpleName();
  }
}
