package io.github.nameko4j.rpc;

import io.github.nameko4j.rpc.internal.BrokerUri;
import io.github.nameko4j.rpc.internal.Checks;
import io.github.nameko4j.rpc.internal.ClientCore;
import io.github.nameko4j.rpc.internal.Futures;
import io.github.nameko4j.rpc.internal.Headers;
import io.github.nameko4j.rpc.internal.Instrumentation;
import io.github.nameko4j.rpc.internal.Json;
import io.github.nameko4j.rpc.internal.Names;
import io.github.nameko4j.rpc.internal.ObservationInstrumentation;
import io.github.nameko4j.rpc.internal.TypedProxies;
import io.github.nameko4j.rpc.observation.DefaultNamekoSendConvention;
import io.github.nameko4j.rpc.observation.NamekoObservation;
import io.github.nameko4j.rpc.observation.NamekoSendConvention;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Calls nameko services over AMQP, as nameko's {@code ClusterRpcProxy} does.
 *
 * <pre>{@code
 * try (NamekoRpcClient client = NamekoRpcClient.builder().uri("amqp://guest:guest@localhost").build()) {
 *   Object sum = client.call("echo_py", "add", 1, 2);                        // untyped
 *   Greeter greeter = client.proxy(Greeter.class);                           // typed
 *   CompletableFuture<Object> f = client.callAsync("echo_py", "add", List.of(1, 2), Map.of());
 * }
 * }</pre>
 *
 * <p>One connection and one reply queue per client. Thread-safe: share one client between all
 * threads. Results are decoded JSON ({@code Map}, {@code List}, {@code String}, {@code Integer},
 * {@code Long}, {@code BigInteger}, {@code Double}, {@code Boolean} or null) unless a typed proxy
 * converts them. Futures complete on the client's delivery thread: use the {@code *Async}
 * variants of {@link CompletableFuture} for slow callbacks. {@code callAsync} never blocks: requests
 * are published by a thread of the client's own, so it is safe to call from event loops and
 * virtual threads.
 *
 * <p>When the connection drops (or the broker closes the reply queue or its channel), calls in
 * flight fail with {@link TransportException} and the client reconnects by itself, with a new
 * reply queue, to the next node of the URI list if it has several; calls made while it is down
 * fail at once. Each request carries an AMQP {@code expiration} equal to the time its caller still
 * waits, so a request nobody waits for any more is dropped by the broker, never run.
 */
public final class NamekoRpcClient implements AutoCloseable {
  /** Default wait for a reply: nameko waits forever; we do not. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);
  /** Default timeout for connecting to the broker. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** nameko's standalone proxy's name; call ids look like {@code standalone_rpc_proxy.call.<uuid>}. */
  public static final String DEFAULT_CALLER_NAME = "standalone_rpc_proxy";
  /** Default AMQP heartbeat: a silently dead connection is noticed within about twice this. */
  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);
  /**
   * Default limit on one message (request or reply), in bytes: RabbitMQ 3.x's own default {@code
   * max_message_size} (RabbitMQ 4 lowered its default to 16 MiB: set the same value here).
   */
  public static final int DEFAULT_MAX_MESSAGE_SIZE = 128 * 1024 * 1024;
  /** Largest {@code maxMessageSize} accepted: RabbitMQ's hard limit. */
  public static final int MAX_MESSAGE_SIZE_LIMIT = 512 * 1024 * 1024;

  private final ClientCore core;
  private final Duration callTimeout;
  private final Map<String, Object> contextData;
  private final String description;

  private NamekoRpcClient(Builder builder) {
    BrokerSettings settings = builder.broker.build();
    this.callTimeout = builder.callTimeout;
    this.contextData = settings.contextData();
    this.description =
        "NamekoRpcClient{uri=" + BrokerUri.redact(settings.uri()) + ", caller=" + builder.callerName + "}";
    this.core = new ClientCore(settings, builder.callerName,
        settings.observationRegistry() == null ? Instrumentation.NONE
            : ObservationInstrumentation.of(settings.observationRegistry(), builder.observationConvention, null));
  }

  /**
   * A builder for a client; {@link Builder#build()} connects.
   *
   * @return a builder with every default
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Calls {@code service.method(*args)} and waits for the result.
   *
   * @throws RemoteServiceException the service raised an error
   * @throws UnknownServiceException no such service
   * @throws RpcTimeoutException no reply within the client's call timeout
   * @throws TransportException the broker could not be reached or the connection dropped
   * @throws CodecException an argument cannot be sent as JSON (the message names it)
   */
  public Object call(String service, String method, Object... args) {
    return await(callAsync(service, method, Json.listOf(args), Map.of()));
  }

  /** Calls {@code service.method(*args, **kwargs)} and waits for the result. */
  public Object call(String service, String method, List<?> args, Map<String, ?> kwargs) {
    return await(callAsync(service, method, args, kwargs));
  }

  /** Calls without waiting; the future fails with the exceptions {@link #call} throws. */
  public CompletableFuture<Object> callAsync(String service, String method, List<?> args, Map<String, ?> kwargs) {
    return callAsync(service, method, args, kwargs, callTimeout);
  }

  /**
   * Calls without waiting, with its own timeout.
   *
   * @param timeout how long to wait for the reply; must be positive
   * @throws IllegalArgumentException a null or invalid name, null args/kwargs, or a bad timeout
   */
  public CompletableFuture<Object> callAsync(
      String service, String method, List<?> args, Map<String, ?> kwargs, Duration timeout) {
    Names.require("service", service);
    Names.require("method", method);
    Objects.requireNonNull(args, "args must not be null (use List.of())");
    Objects.requireNonNull(kwargs, "kwargs must not be null (use Map.of())");
    Checks.positive("timeout", timeout);
    return core.call(service, method, args, kwargs, timeout, RpcContext.current().orElse(null));
  }

  /** An untyped proxy for one service: {@code client.service("echo").call("add", 1, 2)}. */
  public ServiceProxy service(String name) {
    return new ServiceProxy(this, Names.require("service", name));
  }

  /**
   * A typed proxy for an interface annotated with {@link RpcService}. Each method calls the rpc of
   * the same name in snake_case (or the {@link RpcMethod} name); parameters go positionally unless
   * annotated with {@link Kwarg}; a {@code CompletableFuture<T>} return type makes the call async.
   *
   * @throws IllegalArgumentException the interface is not usable (the message says why)
   */
  public <T> T proxy(Class<T> api) {
    RpcService annotation = api.getAnnotation(RpcService.class);
    if (annotation == null) {
      throw new IllegalArgumentException(
          api.getName() + " has no @RpcService: annotate it or use proxy(api, serviceName)");
    }
    return proxy(api, annotation.value());
  }

  /** A typed proxy for {@code api} calling {@code service}. */
  public <T> T proxy(Class<T> api, String service) {
    return TypedProxies.create(api, Names.require("service", service), this::callAsync);
  }

  static Object await(CompletableFuture<Object> future) {
    return Futures.await(future);
  }

  /** The client's default wait for a reply. */
  public Duration callTimeout() {
    return callTimeout;
  }

  /**
   * The client's single timer thread, which times out its calls. Libraries built on the client
   * (the caching proxies) schedule their own short timeouts on it rather than start threads. Do
   * not shut it down: {@link #close()} does. Tasks on it must be quick and never block.
   */
  public ScheduledExecutorService scheduler() {
    return core.timer();
  }

  /** Calls in flight right now. */
  public int inFlight() {
    return core.inFlight();
  }

  /** The context data sent with calls made outside a service method (see {@link Builder#contextData}). */
  public Map<String, Object> contextData() {
    return contextData;
  }

  /** True while connected to the broker with a reply queue; false while reconnecting. */
  public boolean isConnected() {
    return core.connected();
  }

  ClientCore core() {
    return core;
  }

  /** Closes the connection; calls in flight fail with {@link TransportException}. Idempotent. */
  @Override
  public void close() {
    core.close();
  }

  @Override
  public String toString() {
    return description;
  }

  /** Builds a {@link NamekoRpcClient}. Not thread-safe; {@link #build()} connects. */
  public static final class Builder {
    private BrokerSettings.Builder broker = BrokerSettings.builder();
    private String callerName = DEFAULT_CALLER_NAME;
    private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
    // Object, not Micrometer types: the builder loads without micrometer-observation.
    private Object observationConvention;

    private Builder() {}

    /**
     * How to reach the broker (URI or cluster nodes, timeouts, heartbeat, message size, queue type,
     * context data, observation), shared with the service's other components. Replaces what the
     * other broker setters of this builder set before.
     *
     * @param settings the settings
     * @return this builder
     */
    public Builder broker(BrokerSettings settings) {
      this.broker = Objects.requireNonNull(settings, "settings must not be null").toBuilder();
      return this;
    }

    /**
     * Observes every call with Micrometer's Observation API ({@link NamekoObservation#RPC_CLIENT}):
     * with a tracing handler registered (OpenTelemetry or Brave through Micrometer Tracing), each
     * call is a span, child of the current one, and its trace context travels in the request's
     * {@code nameko.traceparent} header, which Python nameko services read and pass on. Without
     * it (the default) nothing is observed and no header is added. Needs {@code
     * io.micrometer:micrometer-observation} on the class path.
     *
     * @param registry the registry the handlers are registered with
     * @return this builder
     */
    public Builder observationRegistry(ObservationRegistry registry) {
      broker.observationRegistry(registry);
      return this;
    }

    /**
     * Replaces the names and tags of call observations ({@link DefaultNamekoSendConvention} by
     * default). Needs {@link #observationRegistry}.
     *
     * @param convention the convention
     * @return this builder
     */
    public Builder observationConvention(NamekoSendConvention convention) {
      this.observationConvention = Objects.requireNonNull(convention, "convention must not be null");
      return this;
    }

    /**
     * The broker, as nameko's {@code AMQP_URI}: {@code amqp://user:pass@host:5672/vhost}, {@code
     * amqps://...}, {@code pyamqp://...}, or the nodes of a cluster separated by {@code ;} (the
     * client connects to one of them, and to another when it goes down). Characters such as
     * {@code @ / ? #} in a password must be percent-encoded. Default: guest on localhost.
     *
     * @throws IllegalArgumentException the URI cannot be parsed or has no host; the message says
     *     why and never shows the password
     */
    public Builder uri(String uri) {
      broker.uri(uri);
      return this;
    }

    /**
     * The AMQP heartbeat. A connection that died without a word (a network cut, a NAT that forgot
     * it) is noticed after about two heartbeats, then replaced. Default 10 s; at least 1 s.
     */
    public Builder heartbeat(Duration heartbeat) {
      broker.heartbeat(heartbeat);
      return this;
    }

    /**
     * The largest request, and reply read, in bytes: a bigger request fails with {@link
     * CodecException} before it is sent. Set it to the broker's {@code max_message_size}.
     * Default {@link #DEFAULT_MAX_MESSAGE_SIZE}.
     */
    public Builder maxMessageSize(int bytes) {
      broker.maxMessageSize(bytes);
      return this;
    }

    /** The caller's name in call ids and the reply queue name (a service's name, typically). */
    public Builder callerName(String callerName) {
      this.callerName = Names.require("callerName", callerName);
      return this;
    }

    /** How long a call waits for its reply by default. Default 30 s. */
    public Builder callTimeout(Duration callTimeout) {
      this.callTimeout = Checks.positive("callTimeout", callTimeout);
      return this;
    }

    /** How long connecting to the broker may take. Default 10 s. */
    public Builder connectTimeout(Duration connectTimeout) {
      broker.connectTimeout(connectTimeout);
      return this;
    }

    /**
     * Context data sent with calls made outside a service method (as {@code nameko.<key>}
     * headers), e.g. {@code language} or {@code auth_token}. Null values are dropped, as in nameko.
     *
     * @throws IllegalArgumentException the value is not one AMQP headers can carry (a String,
     *     boxed number, Boolean, BigDecimal, Date, byte[], or a List or Map of those)
     */
    public Builder contextData(String key, Object value) {
      broker.contextData(key, value);
      return this;
    }

    /**
     * Connects and returns the client.
     *
     * @throws TransportException the broker cannot be reached
     */
    public NamekoRpcClient build() {
      Checks.conventionNeedsRegistry(observationConvention, broker.build().observationRegistry());
      return new NamekoRpcClient(this);
    }
  }
}
