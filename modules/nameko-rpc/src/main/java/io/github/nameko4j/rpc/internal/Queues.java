package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import io.github.nameko4j.rpc.BrokerSettings;
import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Declaring the queues that must outlive a node (service queues, durable event queues). */
public final class Queues {
  private static final Logger LOG = LoggerFactory.getLogger(Queues.class);
  private static final Map<String, Object> QUORUM = Map.of("x-queue-type", "quorum");

  private Queues() {}

  /**
   * Declares a durable, shared queue as {@code type} says. A queue that already exists with other
   * arguments (another type, declared by an operator, by a policy or by a replica with other
   * settings) is consumed as it is, with an INFO line: the broker refuses the declaration and closes
   * the channel, so the queue is checked passively on a new one, which is returned.
   *
   * @param durableShared false for a queue that cannot be replicated (auto-delete): always classic
   * @return the channel to go on with (a new one if the declaration was refused)
   */
  public static Channel declare(Connection connection, Channel channel, String queue, boolean durableShared,
      BrokerSettings.QueueType type, String who) throws IOException {
    Map<String, Object> args = durableShared && type == BrokerSettings.QueueType.QUORUM ? QUORUM : null;
    try {
      channel.queueDeclare(queue, true, false, false, args);
      return channel;
    } catch (IOException e) {
      if (!inequivalent(e)) {
        throw e;
      }
      Channel fresh = connection.createChannel();
      fresh.queueDeclarePassive(queue);
      LOG.info("{}: queue {} exists with other arguments than ours ({}): consuming it as it is", who, queue,
          ConnectionKeeper.refusal(e));
      return fresh;
    }
  }

  /** PRECONDITION_FAILED - inequivalent arg ...: the queue exists, declared otherwise. */
  private static boolean inequivalent(IOException e) {
    Throwable cause = e.getCause();
    if (cause instanceof ShutdownSignalException && ((ShutdownSignalException) cause).getReason() instanceof AMQP.Channel.Close) {
      AMQP.Channel.Close close = (AMQP.Channel.Close) ((ShutdownSignalException) cause).getReason();
      return close.getReplyCode() == 406 && close.getReplyText().contains("inequivalent arg");
    }
    return false;
  }
}
