package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Content header frames the RabbitMQ client would refuse, made readable. The client closes the
 * whole connection on a message whose headers nest deeper than 32 levels, hold an unknown field
 * type or are truncated, or whose body is over its inbound limit; the message was never acked, so
 * it came back on every reconnect and the consumer never got past it. Instead, such a header frame
 * is rewritten so that its headers are one {@link #UNREADABLE} entry saying why (the other
 * properties are kept where they can be read), and an oversized body is announced as empty and
 * skipped; the consumer then rejects the message (see {@link #unreadable}).
 *
 * <p>Pure functions of the frame's bytes; the checks walk the headers without building them.
 */
public final class HeaderFrames {
  private static final Logger LOG = LoggerFactory.getLogger(HeaderFrames.class);
  /** The header a rewritten message carries instead of its own: why it could not be read. */
  public static final String UNREADABLE = "x-nameko4j-unreadable";
  /** The RabbitMQ client's own limit on nested tables and arrays. */
  static final int MAX_DEPTH = 32;

  private static final int CONTENT_TYPE = 1 << 15;
  private static final int CONTENT_ENCODING = 1 << 14;
  private static final int HEADERS = 1 << 13;
  private static final int CONTINUATION = 1;

  private HeaderFrames() {}

  /** A header frame to pass on instead of the one read, and how many body bytes to skip after it. */
  record Rewrite(byte[] payload, long skipBody) {}

  /** Why a delivered message could not be read, or null: the reason a rewritten frame carries. */
  public static String unreadable(AMQP.BasicProperties props) {
    Map<String, Object> headers = props.getHeaders();
    Object reason = headers == null ? null : headers.get(UNREADABLE);
    return reason == null ? null : reason.toString();
  }

  /**
   * Rejects (without requeueing) a delivery that could not be read, with a WARN naming why: the
   * broker dead-letters it where its queue has a dead-letter exchange, else drops it.
   *
   * @param consumer who received it, for the log
   * @return true if the delivery was unreadable and is now rejected
   */
  public static boolean rejectedIfUnreadable(Channel channel, Envelope envelope, AMQP.BasicProperties props, String consumer) {
    String reason = unreadable(props);
    if (reason == null) {
      return false;
    }
    LOG.warn("{}: rejected a message to {} that cannot be read ({}); it is dead-lettered where its queue has a"
        + " dead-letter exchange, else dropped", consumer, envelope.getRoutingKey(), reason);
    try {
      channel.basicReject(envelope.getDeliveryTag(), false);
    } catch (IOException | RuntimeException e) {
      LOG.debug("could not reject message {}: {}", envelope.getDeliveryTag(), e.toString());
    }
    return true;
  }

  /**
   * The rewrite a header frame needs, or null when the RabbitMQ client can read it as it is.
   *
   * @param payload the frame's payload
   * @param maxBodySize the largest body this connection accepts
   */
  static Rewrite check(byte[] payload, long maxBodySize) {
    ByteBuffer in = ByteBuffer.wrap(payload);
    int classId;
    long bodySize;
    int flags;
    try {
      classId = in.getShort() & 0xffff;
      in.getShort(); // weight
      bodySize = in.getLong();
      flags = in.getShort() & 0xffff;
    } catch (BufferUnderflowException e) {
      return null; // not even a header: the client's own error is the right one
    }
    if (classId != 60 || (flags & CONTINUATION) != 0) {
      return null; // only basic.* carries content; it has no continuation flags
    }
    String problem = null;
    int headersAt = -1;
    int headersEnd = -1;
    boolean propertiesReadable = true;
    try {
      skipShortString(in, flags, CONTENT_TYPE);
      skipShortString(in, flags, CONTENT_ENCODING);
      headersAt = in.position();
      if ((flags & HEADERS) != 0) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
          throw new BufferUnderflowException();
        }
        headersEnd = in.position() + length;
        problem = tableProblem(in, headersEnd, 0);
        in.position(headersEnd);
      } else {
        headersEnd = headersAt;
      }
      skipRest(in, flags);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      propertiesReadable = false;
      if (problem == null) {
        problem = "its properties are truncated or malformed";
      }
    }
    long skipBody = 0;
    if (bodySize < 0 || bodySize > maxBodySize) {
      String tooBig = "its body of " + Long.toUnsignedString(bodySize) + " bytes is over the limit of " + maxBodySize + " bytes";
      problem = problem == null ? tooBig : problem + "; " + tooBig;
      skipBody = bodySize;
    }
    if (problem == null) {
      return null;
    }
    return new Rewrite(rewrite(payload, skipBody > 0 ? 0 : bodySize, flags, propertiesReadable ? headersAt : -1, headersEnd,
        problem), skipBody);
  }

  private static void skipShortString(ByteBuffer in, int flags, int flag) {
    if ((flags & flag) != 0) {
      skip(in, in.get() & 0xff);
    }
  }

  /** The properties after the headers: delivery mode, priority, six short strings, a timestamp, three more. */
  private static void skipRest(ByteBuffer in, int flags) {
    int[] sizes = {1, 1, -1, -1, -1, -1, 8, -1, -1, -1, -1}; // -1: a short string
    for (int i = 0; i < sizes.length; i++) {
      int flag = 1 << (12 - i);
      if ((flags & flag) != 0) {
        skip(in, sizes[i] < 0 ? in.get() & 0xff : sizes[i]);
      }
    }
  }

  private static void skip(ByteBuffer in, long n) {
    if (n < 0 || n > in.remaining()) {
      throw new BufferUnderflowException();
    }
    in.position(in.position() + (int) n);
  }

  /** What the client would refuse in the table from here to {@code end}, or null. */
  private static String tableProblem(ByteBuffer in, int end, int depth) {
    if (depth > MAX_DEPTH) {
      return "its headers nest tables or arrays deeper than " + MAX_DEPTH + " levels";
    }
    while (in.position() < end) {
      skip(in, in.get() & 0xff); // the key
      String problem = valueProblem(in, depth);
      if (problem != null) {
        return problem;
      }
    }
    return in.position() == end ? null : "its headers table is malformed";
  }

  private static String arrayProblem(ByteBuffer in, int end, int depth) {
    if (depth > MAX_DEPTH) {
      return "its headers nest tables or arrays deeper than " + MAX_DEPTH + " levels";
    }
    while (in.position() < end) {
      String problem = valueProblem(in, depth);
      if (problem != null) {
        return problem;
      }
    }
    return in.position() == end ? null : "its headers table is malformed";
  }

  /** One field value, as the client's ValueReader reads them. */
  private static String valueProblem(ByteBuffer in, int depth) {
    int type = in.get() & 0xff;
    switch (type) {
      case 'S':
      case 'x':
        skip(in, in.getInt() & 0xffffffffL);
        return null;
      case 'I':
      case 'i':
      case 'f':
        skip(in, 4);
        return null;
      case 'D':
        skip(in, 5);
        return null;
      case 'T':
      case 'd':
      case 'l':
        skip(in, 8);
        return null;
      case 'b':
      case 'B':
      case 't':
        skip(in, 1);
        return null;
      case 's':
      case 'u':
        skip(in, 2);
        return null;
      case 'V':
        return null;
      case 'F':
      case 'A': {
        long length = in.getInt() & 0xffffffffL;
        if (length > in.remaining()) {
          throw new BufferUnderflowException();
        }
        int end = in.position() + (int) length;
        String problem = type == 'F' ? tableProblem(in, end, depth + 1) : arrayProblem(in, end, depth + 1);
        in.position(end);
        return problem;
      }
      default:
        return "its headers hold a value of unknown AMQP type '" + (char) type + "' (0x" + Integer.toHexString(type) + ")";
    }
  }

  /**
   * The frame with its headers replaced by the one {@link #UNREADABLE} entry. When the properties
   * could be walked ({@code headersAt >= 0}) every other property is kept, so a consumer still has
   * the correlation id; otherwise the headers are the only property left.
   */
  private static byte[] rewrite(byte[] payload, long bodySize, int flags, int headersAt, int headersEnd, String problem) {
    byte[] table = markerTable(problem);
    ByteBuffer out;
    if (headersAt >= 0) {
      int tail = payload.length - headersEnd;
      out = ByteBuffer.allocate(headersAt + 4 + table.length + tail);
      out.put(payload, 0, headersAt);
      out.putLong(4, bodySize).putShort(12, (short) (flags | HEADERS));
      out.putInt(table.length).put(table).put(payload, headersEnd, tail);
    } else {
      out = ByteBuffer.allocate(14 + 4 + table.length);
      out.put(payload, 0, 4).putLong(bodySize).putShort((short) HEADERS);
      out.putInt(table.length).put(table);
    }
    return out.array();
  }

  /** {UNREADABLE: problem} as an AMQP field table (without its length). */
  private static byte[] markerTable(String problem) {
    byte[] key = UNREADABLE.getBytes(StandardCharsets.US_ASCII);
    byte[] value = problem.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + key.length + 1 + 4 + value.length)
        .put((byte) key.length).put(key).put((byte) 'S').putInt(value.length).put(value).array();
  }
}
