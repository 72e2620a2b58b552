package io.github.nameko4j.rpc.observation;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.docs.ObservationDocumentation;

/**
 * The observations nameko4j records, with their names and key values: OpenTelemetry's messaging
 * conventions for RabbitMQ plus nameko's service and method. Replace a convention to rename or
 * retag them; the keys below are what the defaults write.
 */
public enum NamekoObservation implements ObservationDocumentation {
  /** An RPC call made by {@code NamekoRpcClient}: from publishing the request to its reply. */
  RPC_CLIENT(DefaultNamekoSendConvention.class, true),
  /** An RPC request handled by {@code NamekoRpcServer}: the method run and its reply sent. */
  RPC_SERVER(DefaultNamekoReceiveConvention.class, true),
  /** An event dispatched by {@code EventDispatcher}: until the broker confirms it. */
  EVENT_DISPATCH(DefaultNamekoSendConvention.class, false),
  /** An event handled by an {@code EventSubscriber} handler. */
  EVENT_HANDLER(DefaultNamekoReceiveConvention.class, false);

  private final Class<? extends ObservationConvention<? extends Observation.Context>> defaultConvention;
  private final boolean rpc; // rpc messages carry a correlation id

  NamekoObservation(Class<? extends ObservationConvention<? extends Observation.Context>> defaultConvention, boolean rpc) {
    this.defaultConvention = defaultConvention;
    this.rpc = rpc;
  }

  @Override
  public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
    return defaultConvention;
  }

  @Override
  public KeyName[] getLowCardinalityKeyNames() {
    return LowCardinality.values();
  }

  @Override
  public KeyName[] getHighCardinalityKeyNames() {
    return rpc ? HighCardinality.values() : new KeyName[0];
  }

  /** Tags with few values: safe as metric tags. */
  public enum LowCardinality implements KeyName {
    /** Always {@code rabbitmq}. */
    MESSAGING_SYSTEM {
      @Override
      public String asString() {
        return "messaging.system";
      }
    },
    /** {@code send} (rpc call), {@code process} (request or event handled), {@code publish} (event). */
    MESSAGING_OPERATION {
      @Override
      public String asString() {
        return "messaging.operation.type";
      }
    },
    /** The exchange: {@code nameko-rpc}, or {@code <source>.events}. */
    DESTINATION {
      @Override
      public String asString() {
        return "messaging.destination.name";
      }
    },
    /** The routing key: {@code <service>.<method>}, or the event type. */
    ROUTING_KEY {
      @Override
      public String asString() {
        return "messaging.rabbitmq.destination.routing_key";
      }
    },
    /** The service called, handling, or dispatching. */
    SERVICE {
      @Override
      public String asString() {
        return "nameko.service";
      }
    },
    /** The method called or handling, or the event type dispatched. */
    METHOD {
      @Override
      public String asString() {
        return "nameko.method";
      }
    }
  }

  /** Tags with a value per message: span attributes, never metric tags. */
  public enum HighCardinality implements KeyName {
    /** The correlation id of an rpc request and its reply. */
    CONVERSATION_ID {
      @Override
      public String asString() {
        return "messaging.message.conversation_id";
      }
    }
  }
}
