package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Address;
import com.rabbitmq.client.WriteListener;
import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.Frame;
import com.rabbitmq.client.impl.FrameHandler;
import com.rabbitmq.client.impl.FrameHandlerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;
import java.util.HashMap;
import java.util.Map;

/**
 * Frame handlers that pass every inbound header frame through {@link HeaderFrames}, so that one
 * message the RabbitMQ client cannot read reaches its consumer as a message to reject, instead of
 * closing the connection. Frames are read by the connection's one reader thread, so the state of
 * the bodies being skipped needs no lock.
 */
final class GuardedFrames implements FrameHandlerFactory {
  private final FrameHandlerFactory delegate;
  private final long maxBodySize;

  GuardedFrames(FrameHandlerFactory delegate, long maxBodySize) {
    this.delegate = delegate;
    this.maxBodySize = maxBodySize;
  }

  @Override
  public FrameHandler create(Address address, String connectionName) throws IOException {
    return new Guarded(delegate.create(address, connectionName), maxBodySize);
  }

  private static final class Guarded implements FrameHandler {
    private final FrameHandler delegate;
    private final long maxBodySize;
    private final Map<Integer, Long> skipping = new HashMap<>(); // channel -> body bytes still to drop

    Guarded(FrameHandler delegate, long maxBodySize) {
      this.delegate = delegate;
      this.maxBodySize = maxBodySize;
    }

    @Override
    public Frame readFrame() throws IOException {
      while (true) {
        Frame frame = delegate.readFrame();
        if (frame == null) {
          return null; // a read timeout: the caller checks heartbeats
        }
        if (frame.getType() == AMQP.FRAME_BODY && !skipping.isEmpty()) {
          Long left = skipping.get(frame.getChannel());
          if (left != null) {
            long now = left - frame.getPayload().length;
            if (now <= 0) {
              skipping.remove(frame.getChannel());
            } else {
              skipping.put(frame.getChannel(), now);
            }
            continue;
          }
        }
        if (frame.getType() == AMQP.FRAME_HEADER) {
          HeaderFrames.Rewrite rewrite = HeaderFrames.check(frame.getPayload(), maxBodySize);
          if (rewrite != null) {
            if (rewrite.skipBody() > 0) {
              skipping.put(frame.getChannel(), rewrite.skipBody());
            }
            return new Frame(AMQP.FRAME_HEADER, frame.getChannel(), rewrite.payload());
          }
        }
        return frame;
      }
    }

    @Override
    public boolean internalHearbeat() {
      return delegate.internalHearbeat();
    }

    @Override
    public void setTimeout(int timeoutMs) throws SocketException {
      delegate.setTimeout(timeoutMs);
    }

    @Override
    public int getTimeout() throws SocketException {
      return delegate.getTimeout();
    }

    @Override
    public void sendHeader() throws IOException {
      delegate.sendHeader();
    }

    @Override
    public void initialize(AMQConnection connection) {
      delegate.initialize(connection);
    }

    @Override
    public void startProcessing() {
      delegate.startProcessing();
    }

    @Override
    public void finishConnectionNegotiation() {
      delegate.finishConnectionNegotiation();
    }

    @Override
    public void setFrameMax(int frameMax) {
      delegate.setFrameMax(frameMax);
    }

    @Override
    public void writeFrame(Frame frame) throws IOException {
      delegate.writeFrame(frame);
    }

    @Override
    public void flush(WriteListener listener) throws IOException {
      delegate.flush(listener);
    }

    @Override
    public void close() {
      delegate.close();
    }

    @Override
    public InetAddress getLocalAddress() {
      return delegate.getLocalAddress();
    }

    @Override
    public int getLocalPort() {
      return delegate.getLocalPort();
    }

    @Override
    public InetAddress getAddress() {
      return delegate.getAddress();
    }

    @Override
    public int getPort() {
      return delegate.getPort();
    }
  }
}
