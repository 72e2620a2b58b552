package io.github.nameko4j.rpc;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/** A Java twin of the Python {@code echo_py} service the wire vectors were captured from. */
public class EchoService {
  /** Named like Python's builtin so error replies look alike. */
  public static class ValueError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ValueError(String message) {
      super(message);
    }
  }

  @Rpc
  public Object echo(Object x) {
    return x;
  }

  /** Python's {@code a + b}: numbers add, strings and lists concatenate. */
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
    if (a instanceof Integer && b instanceof Integer) {
      return (long) (Integer) a + (Integer) b;
    }
    return ((Number) a).doubleValue() + ((Number) b).doubleValue();
  }

  @Rpc
  public Object boom(String message) {
    throw new ValueError(message);
  }

  /** Rounds to cents: the kind of method a decimal bomb made run for tens of seconds. */
  @Rpc
  public BigDecimal cents(BigDecimal amount) {
    return amount.setScale(2, RoundingMode.HALF_UP);
  }

  @Rpc
  public Object slow(double seconds, Object x) throws InterruptedException {
    Thread.sleep((long) (seconds * 1000));
    return x;
  }
}
