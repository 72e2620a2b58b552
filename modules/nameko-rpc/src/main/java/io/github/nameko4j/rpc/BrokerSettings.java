package io.github.nameko4j.rpc;

import io.github.nameko4j.rpc.internal.BrokerUri;
import io.github.nameko4j.rpc.internal.Checks;
import io.github.nameko4j.rpc.internal.Headers;
import io.github.nameko4j.rpc.internal.Names;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How a component reaches the broker: one settings type for {@link NamekoRpcClient}, {@link
 * NamekoRpcServer}, {@code EventDispatcher} and {@code EventSubscriber}, so that a service's
 * components share it and a new setting is added once. Immutable and thread-safe.
 *
 * <pre>{@code
 * BrokerSettings broker = BrokerSettings.builder()
 *     .uri("amqp://app:secret@rabbit1;amqp://app:secret@rabbit2;amqp://app:secret@rabbit3")
 *     .queueType(BrokerSettings.QueueType.QUORUM)      // service and durable event queues survive a node
 *     .build();
 * NamekoRpcServer server = NamekoRpcServer.builder().broker(broker).service("orders", new Orders()).start();
 * NamekoRpcClient client = NamekoRpcClient.builder().broker(broker).build();
 * }</pre>
 */
public final class BrokerSettings {
  /** How the queues that must outlive a node are declared: {@code rpc-<service>} and durable event queues. */
  public enum QueueType {
    /** A classic queue, as nameko declares it: it lives on one node, and is down with it. */
    CLASSIC,
    /**
     * A quorum queue, replicated on a majority of the cluster's nodes: the service answers while
     * any one node is down. RabbitMQ 3.8+. A queue that exists with another type is consumed as it
     * is (an operator's, or a policy's choice).
     */
    QUORUM
  }

  /** Which node of a {@code ;}-separated list a connection tries first. */
  public enum NodeOrder {
    /** A random order per connection, so that clients and services spread over the cluster. */
    SHUFFLED,
    /** The order given: the first node that answers takes every connection. */
    AS_GIVEN
  }

  /** Default broker: guest on localhost. */
  public static final String DEFAULT_URI = "amqp://guest:guest@localhost:5672";

  private static final BrokerSettings DEFAULTS = builder().build();

  private final String uri;
  private final Duration connectTimeout;
  private final Duration heartbeat;
  private final int maxMessageSize;
  private final QueueType queueType;
  private final NodeOrder nodeOrder;
  private final Map<String, Object> contextData;
  private final Object observationRegistry; // Object: the class loads without micrometer-observation

  private BrokerSettings(Builder b) {
    this.uri = b.uri;
    this.connectTimeout = b.connectTimeout;
    this.heartbeat = b.heartbeat;
    this.maxMessageSize = b.maxMessageSize;
    this.queueType = b.queueType;
    this.nodeOrder = b.nodeOrder;
    this.contextData = Map.copyOf(b.contextData);
    this.observationRegistry = b.observationRegistry;
  }

  /** @return the defaults: guest on localhost, classic queues, shuffled nodes */
  public static BrokerSettings ofDefaults() {
    return DEFAULTS;
  }

  /** @return a builder with every default */
  public static Builder builder() {
    return new Builder();
  }

  /** @return a builder starting from these settings */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.uri = uri;
    b.connectTimeout = connectTimeout;
    b.heartbeat = heartbeat;
    b.maxMessageSize = maxMessageSize;
    b.queueType = queueType;
    b.nodeOrder = nodeOrder;
    b.contextData.putAll(contextData);
    b.observationRegistry = observationRegistry;
    return b;
  }

  /** @return the broker URI, or the {@code ;}-separated nodes of a cluster */
  public String uri() {
    return uri;
  }

  /** @return how long connecting may take */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** @return the AMQP heartbeat */
  public Duration heartbeat() {
    return heartbeat;
  }

  /** @return the largest message sent or read, in bytes */
  public int maxMessageSize() {
    return maxMessageSize;
  }

  /** @return how service and durable event queues are declared */
  public QueueType queueType() {
    return queueType;
  }

  /** @return which node a connection tries first */
  public NodeOrder nodeOrder() {
    return nodeOrder;
  }

  /** @return context data sent with calls and events made outside a service method */
  public Map<String, Object> contextData() {
    return contextData;
  }

  /** @return the observation registry ({@code io.micrometer.observation.ObservationRegistry}), or null */
  public Object observationRegistry() {
    return observationRegistry;
  }

  @Override
  public String toString() {
    return "BrokerSettings{uri=" + BrokerUri.redact(uri) + ", queueType=" + queueType + ", nodeOrder=" + nodeOrder + "}";
  }

  /** Builds {@link BrokerSettings}; every value is checked when set, naming the setting. Not thread-safe. */
  public static final class Builder {
    private String uri = DEFAULT_URI;
    private Duration connectTimeout = NamekoRpcClient.DEFAULT_CONNECT_TIMEOUT;
    private Duration heartbeat = NamekoRpcClient.DEFAULT_HEARTBEAT;
    private int maxMessageSize = NamekoRpcClient.DEFAULT_MAX_MESSAGE_SIZE;
    private QueueType queueType = QueueType.CLASSIC;
    private NodeOrder nodeOrder = NodeOrder.SHUFFLED;
    private final Map<String, Object> contextData = new LinkedHashMap<>();
    private Object observationRegistry;

    private Builder() {}

    /**
     * The broker, as nameko's {@code AMQP_URI}: {@code amqp://user:pass@host:5672/vhost}, {@code
     * amqps://...}, {@code pyamqp://...}, or the nodes of a cluster separated by {@code ;} (a
     * connection goes to one of them, another when it goes down). Characters such as {@code @ / ?
     * #} in a password must be percent-encoded. Default: guest on localhost.
     *
     * @param uri the URI
     * @return this builder
     * @throws IllegalArgumentException the URI cannot be parsed or has no host; the message says
     *     why and never shows the password
     */
    public Builder uri(String uri) {
      BrokerUri.parse(uri);
      this.uri = uri;
      return this;
    }

    /**
     * How long connecting may take. Default 10 s.
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Checks.positive("connectTimeout", timeout);
      return this;
    }

    /**
     * The AMQP heartbeat. A connection that died without a word (a network cut, a NAT that forgot
     * it) is noticed after about two heartbeats, then replaced. Default 10 s.
     *
     * @param heartbeat between 1 s and 1 h
     * @return this builder
     */
    public Builder heartbeat(Duration heartbeat) {
      this.heartbeat = Checks.heartbeat(heartbeat);
      return this;
    }

    /**
     * The largest message sent or read, in bytes: set it to the broker's {@code
     * max_message_size}. A bigger request fails before it is sent; a bigger message read is
     * rejected. Default {@link NamekoRpcClient#DEFAULT_MAX_MESSAGE_SIZE}.
     *
     * @param bytes from 1024 to 512 MiB
     * @return this builder
     */
    public Builder maxMessageSize(int bytes) {
      this.maxMessageSize = Checks.maxMessageSize(bytes);
      return this;
    }

    /**
     * How service queues ({@code rpc-<service>}) and durable event queues are declared. Default
     * CLASSIC, as nameko. See README, "Running on a RabbitMQ cluster".
     *
     * @param type the queue type
     * @return this builder
     */
    public Builder queueType(QueueType type) {
      this.queueType = Objects.requireNonNull(type, "queueType must not be null");
      return this;
    }

    /**
     * Which node of a {@code ;}-separated list a connection tries first. Default SHUFFLED.
     *
     * @param order the order
     * @return this builder
     */
    public Builder nodeOrder(NodeOrder order) {
      this.nodeOrder = Objects.requireNonNull(order, "nodeOrder must not be null");
      return this;
    }

    /**
     * Context data sent with calls and events made outside a service method (as {@code
     * nameko.<key>} headers), e.g. {@code language} or {@code auth_token}. Null values are
     * dropped, as in nameko.
     *
     * @param key the context key
     * @param value the value; null removes the key
     * @return this builder
     * @throws IllegalArgumentException the value is not one AMQP headers can carry (a String,
     *     boxed number, Boolean, BigDecimal, Date, byte[], or a List or Map of those)
     */
    public Builder contextData(String key, Object value) {
      Names.require("context key", key);
      try {
        Headers.check(key, value);
      } catch (CodecException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
      if (value == null) {
        contextData.remove(key);
      } else {
        contextData.put(key, value);
      }
      return this;
    }

    /**
     * Observes calls, requests and events with Micrometer's Observation API (see each component's
     * builder for what it observes). Off by default. Needs {@code io.micrometer:micrometer-observation}.
     *
     * @param registry the registry the handlers are registered with
     * @return this builder
     */
    public Builder observationRegistry(ObservationRegistry registry) {
      this.observationRegistry = Objects.requireNonNull(registry, "registry must not be null");
      return this;
    }

    /** @return the settings */
    public BrokerSettings build() {
      return new BrokerSettings(this);
    }
  }
}
