package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.impl.DefaultExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RabbitMQ client's exception handler, minus the stack trace at ERROR for a connection that
 * dies (a missed heartbeat, a reset socket): that is an expected event here, which the
 * {@link ConnectionKeeper} logs once and repairs.
 */
final class QuietExceptionHandler extends DefaultExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionKeeper.class);

  @Override
  public void handleUnexpectedConnectionDriverException(Connection conn, Throwable exception) {
    LOG.debug("connection {} failed: {}", conn, exception.toString());
  }
}
