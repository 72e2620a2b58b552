package io.github.nameko4j.cli;

import io.github.nameko4j.rpc.Rpc;

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
    if (a instanceof java.util.List && b instanceof java.util.List) {
      java.util.List<Object> out = new java.util.ArrayList<>((java.util.List<?>) a);
      out.addAll((java.util.List<?>) b);
      return out;
    }
    if (a instanceof Number && b instanceof Number) {
      Number x = (Number) a;
      Number y = (Number) b;
      if (x instanceof Double || y instanceof Double) {
        return x.doubleValue() + y.doubleValue();
      }
      return new java.math.BigInteger(x.toString()).add(new java.math.BigInteger(y.toString()));
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
