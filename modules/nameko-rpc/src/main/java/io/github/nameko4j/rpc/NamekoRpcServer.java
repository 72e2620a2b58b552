package io.github.nameko4j.rpc;

import io.github.nameko4j.rpc.internal.BrokerUri;
import io.github.nameko4j.rpc.internal.Checks;
import io.github.nameko4j.rpc.internal.Instrumentation;
import io.github.nameko4j.rpc.internal.Names;
import io.github.nameko4j.rpc.internal.ObservationInstrumentation;
import io.github.nameko4j.rpc.internal.ServerCore;
import io.github.nameko4j.rpc.observation.DefaultNamekoReceiveConvention;
import io.github.nameko4j.rpc.observation.NamekoObservation;
import io.github.nameko4j.rpc.observation.NamekoReceiveConvention;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.Objects;

/**
 * Hosts a plain Java object as a nameko service: its public {@link Rpc} methods become rpc
 * methods, callable from Python nameko services and from {@link NamekoRpcClient}.
 *
 * <pre>{@code
 * class Echo {
 *   @Rpc public Object echo(Object x) { return x; }
 *   @Rpc public long add(long a, long b) { return a + b; }
 * }
 * try (NamekoRpcServer server = NamekoRpcServer.builder().service("echo_java", new Echo()).start()) { ... }
 * }</pre>
 *
 * <p>Like nameko: queue {@code rpc-<service>} bound with {@code <service>.*}, prefetch and
 * concurrency {@code maxWorkers} (default 10), each request acked only after its reply is
 * published and confirmed. Arguments bind as in Python (positional, then keyword by parameter
 * name; compile with {@code -parameters} or use {@link Kwarg}) and convert to the parameter types
 * through Jackson. Errors reply in nameko's shapes: MethodNotFound, IncorrectSignature,
 * MalformedRequest, or the method's own exception by class name. Inside a method, {@link
 * RpcContext#current()} gives the request's context, and calls made from that thread propagate it.
 *
 * <p>Methods may run concurrently on up to {@code maxWorkers} threads: the service object must be
 * thread-safe. The server reconnects by itself after a broker restart, a network cut, the broker
 * closing one of its channels, or its queue being deleted. A reply over {@code maxMessageSize}
 * is replaced by a {@code ReplyTooLargeError}; a reply the broker refuses is logged and its
 * request acked (never redelivered to fail again); a downstream error the method re-raises
 * reaches its caller as nameko's {@code RemoteError}.
 */
public final class NamekoRpcServer implements AutoCloseable {
  /** Default number of requests run at once (nameko's {@code max_workers}), also the prefetch. */
  public static final int DEFAULT_MAX_WORKERS = 10;

  private final ServerCore core;
  private final String description;

  private NamekoRpcServer(Builder b) {
    BrokerSettings settings = b.broker.build();
    this.description = "NamekoRpcServer{service=" + b.service + ", uri=" + BrokerUri.redact(settings.uri()) + "}";
    this.core = new ServerCore(settings, b.service, b.handler, b.maxWorkers,
        settings.observationRegistry() == null ? Instrumentation.NONE
            : ObservationInstrumentation.of(settings.observationRegistry(), null, b.observationConvention));
  }

  /**
   * A builder for a server; {@link Builder#start()} connects and starts consuming.
   *
   * @return a builder with every default
   */
  public static Builder builder() {
    return new Builder();
  }

  /** The hosted service's name. */
  public String service() {
    return core.service();
  }

  /** True while connected and consuming; false while reconnecting or stopped. */
  public boolean isConnected() {
    return core.connected();
  }

  /**
   * Stops taking requests, waits up to {@code grace} for running ones, and disconnects. Requests
   * not yet started go back to the queue for another replica.
   */
  public void stop(Duration grace) {
    core.stop(Objects.requireNonNull(grace, "grace"));
  }

  /** {@link #stop(Duration)} with 10 seconds' grace. */
  @Override
  public void close() {
    core.close();
  }

  @Override
  public String toString() {
    return description;
  }

  /** Builds a {@link NamekoRpcServer}. Not thread-safe. */
  public static final class Builder {
    private BrokerSettings.Builder broker = BrokerSettings.builder();
    private String service;
    private Object handler;
    private int maxWorkers = DEFAULT_MAX_WORKERS;
    // Object, not Micrometer types: the builder loads without micrometer-observation.
    private Object observationConvention;

    private Builder() {}

    /**
     * How to reach the broker, and how the service's queue is declared ({@link
     * BrokerSettings#queueType()}): shared with the service's other components. Replaces what the
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
     * The broker, as for {@link NamekoRpcClient.Builder#uri}. Default: guest on localhost.
     *
     * @throws IllegalArgumentException the URI cannot be parsed or has no host
     */
    public Builder uri(String uri) {
      broker.uri(uri);
      return this;
    }

    /** The AMQP heartbeat, as for {@link NamekoRpcClient.Builder#heartbeat}. Default 10 s. */
    public Builder heartbeat(Duration heartbeat) {
      broker.heartbeat(heartbeat);
      return this;
    }

    /**
     * The largest reply sent, in bytes: a bigger one is replaced by a {@code ReplyTooLargeError}
     * for its caller. Set it to the broker's {@code max_message_size}. Default {@link
     * NamekoRpcClient#DEFAULT_MAX_MESSAGE_SIZE}.
     */
    public Builder maxMessageSize(int bytes) {
      broker.maxMessageSize(bytes);
      return this;
    }

    /** The service's name and the object whose {@link Rpc} methods it exposes. */
    public Builder service(String name, Object handler) {
      this.service = Names.require("service", name);
      this.handler = Objects.requireNonNull(handler, "handler must not be null");
      return this;
    }

    /** Requests run at once (nameko's {@code max_workers}); also the prefetch. Default 10. */
    public Builder maxWorkers(int maxWorkers) {
      this.maxWorkers = Checks.maxWorkers(maxWorkers);
      return this;
    }

    /** How long connecting to the broker may take. Default 10 s. */
    public Builder connectTimeout(Duration connectTimeout) {
      broker.connectTimeout(connectTimeout);
      return this;
    }

    /**
     * Observes every request handled ({@link NamekoObservation#RPC_SERVER}): with a tracing
     * handler registered, each is a span continuing the caller's trace from its {@code
     * nameko.traceparent} header (a Java or a Python caller's), current while the method runs, so
     * the calls and events it makes are its children. Off by default. Needs {@code
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
     * Replaces the names and tags of request observations ({@link DefaultNamekoReceiveConvention}
     * by default). Needs {@link #observationRegistry}.
     *
     * @param convention the convention
     * @return this builder
     */
    public Builder observationConvention(NamekoReceiveConvention convention) {
      this.observationConvention = Objects.requireNonNull(convention, "convention must not be null");
      return this;
    }

    /**
     * Connects, declares the queue and starts consuming.
     *
     * @throws IllegalStateException no service was given
     * @throws IllegalArgumentException the handler exposes no usable {@link Rpc} method
     * @throws TransportException the broker cannot be reached
     */
    public NamekoRpcServer start() {
      if (service == null) {
        throw new IllegalStateException("service(name, handler) must be set before start()");
      }
      Checks.conventionNeedsRegistry(observationConvention, broker.build().observationRegistry());
      return new NamekoRpcServer(this);
    }
  }
}
