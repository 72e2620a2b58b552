package io.github.nameko4j.test;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.github.nameko4j.rpc.internal.Errors;
import io.github.nameko4j.rpc.internal.Headers;
import io.github.nameko4j.rpc.internal.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A fake nameko service: it consumes {@code rpc-<name>} as a nameko service does and answers each
 * method as the test says (a value, a function of the call, a nameko error of any {@code
 * exc_type}, after a delay, or never), and records every call it got with its arguments, context
 * data and call id stack. Like nameko's {@code replace_dependencies} and {@code entrypoint_hook},
 * for the services a service under test calls; Python or Java, a caller cannot tell.
 *
 * <pre>{@code
 * StubService other = StubService.start(broker.uri(), "other_service")
 *     .returns("do_something", "cached answer");
 * ... // the code under test calls other_service.do_something and caches the reply
 * other.fails("do_something", "ValueError", "down");  // now it raises, as a Python service would
 * assertThat(other.calls("do_something")).hasSize(2);
 * }</pre>
 *
 * A method given no behaviour answers with nameko's {@code MethodNotFound}. Behaviours can be
 * changed while calls are under way; thread-safe. {@link #close()} deletes the queue.
 */
public final class StubService implements AutoCloseable {
  private static final String EXCHANGE = "nameko-rpc";

  /** How one method answers. */
  private record Behaviour(Function<StubCall, Object> answer, Map<String, Object> error, Duration delay, boolean hang) {}

  private final String name;
  private final Connection connection;
  private final Channel channel;
  private final Object publishLock = new Object();
  private final Map<String, Behaviour> behaviours = new ConcurrentHashMap<>();
  private final List<StubCall> calls = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService delayed;

  private StubService(String amqpUri, String name) throws IOException, TimeoutException {
    this.name = name;
    ConnectionFactory f = new ConnectionFactory();
    try {
      f.setUri(amqpUri);
    } catch (Exception e) {
      throw new IllegalArgumentException("invalid AMQP URI for the stub of " + name + ": " + e.getMessage(), e);
    }
    f.setConnectionTimeout(10_000);
    this.connection = f.newConnection("stub-" + name);
    this.channel = connection.createChannel();
    this.delayed = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "nameko4j-stub-" + name);
      t.setDaemon(true);
      return t;
    });
    String queue = "rpc-" + name;
    channel.exchangeDeclare(EXCHANGE, "topic", true);
    channel.queueDeclare(queue, true, false, false, null);
    channel.queueBind(queue, EXCHANGE, name + ".*");
    channel.basicConsume(queue, true, new DefaultConsumer(channel) {
      @Override
      public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        received(envelope.getRoutingKey(), props, body);
      }
    });
  }

  /**
   * Starts a stub of service {@code name} on the broker at {@code amqpUri}.
   *
   * @throws IllegalStateException the broker cannot be reached
   */
  public static StubService start(String amqpUri, String name) {
    Objects.requireNonNull(amqpUri, "amqpUri");
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a stub needs a service name, was '" + name + "'");
    }
    try {
      return new StubService(amqpUri, name);
    } catch (IOException | TimeoutException e) {
      throw new IllegalStateException("cannot start the stub of " + name + " at " + amqpUri + ": " + e, e);
    }
  }

  public String name() {
    return name;
  }

  /** {@code method} returns {@code value} (anything JSON can carry). */
  public StubService returns(String method, Object value) {
    return answers(method, call -> value);
  }

  /** {@code method} returns what {@code answer} makes of the call; an exception it throws is raised to the caller as nameko would. */
  public StubService answers(String method, Function<StubCall, Object> answer) {
    Objects.requireNonNull(answer, "answer");
    behaviours.merge(method(method), new Behaviour(answer, null, Duration.ZERO, false),
        (old, now) -> new Behaviour(answer, null, old.delay(), false));
    return this;
  }

  /**
   * {@code method} raises an error of nameko's {@code exc_type} (e.g. {@code ValueError}), as a
   * Python service would: the caller gets a {@code RemoteServiceException} of that type.
   */
  public StubService fails(String method, String excType, String message) {
    Map<String, Object> error = Errors.errorObject(excType, excType, List.of(message), message);
    behaviours.merge(method(method), new Behaviour(null, error, Duration.ZERO, false),
        (old, now) -> new Behaviour(null, error, old.delay(), false));
    return this;
  }

  /** {@code method} answers only after {@code delay} (what it answers is unchanged; a slow service). */
  public StubService delays(String method, Duration delay) {
    if (delay == null || delay.isNegative()) {
      throw new IllegalArgumentException("delay must be zero or positive, was " + delay);
    }
    behaviours.compute(method(method), (m, old) -> old == null
        ? new Behaviour(null, Errors.errorObject("MethodNotFound", "nameko.exceptions.MethodNotFound", List.of(m), m), delay, false)
        : new Behaviour(old.answer(), old.error(), delay, false));
    return this;
  }

  /** {@code method} never answers (a hung service); its calls are still recorded. */
  public StubService hangs(String method) {
    behaviours.put(method(method), new Behaviour(null, null, Duration.ZERO, true));
    return this;
  }

  /** Every call received so far, in order. */
  public List<StubCall> calls() {
    return List.copyOf(calls);
  }

  /** The calls of {@code method} received so far, in order. */
  public List<StubCall> calls(String method) {
    List<StubCall> of = new ArrayList<>();
    for (StubCall c : calls) {
      if (c.method().equals(method)) {
        of.add(c);
      }
    }
    return of;
  }

  /**
   * Waits until {@code count} calls of {@code method} were received.
   *
   * @return those calls
   * @throws AssertionError not within {@code within}, naming what was received
   */
  public List<StubCall> awaitCalls(String method, int count, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (calls(method).size() < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("stub " + name + " got " + calls(method).size() + " call(s) of " + method + " within "
            + within.toMillis() + " ms, expected " + count + "; every call: " + calls);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for calls of " + method, e);
      }
    }
    return calls(method);
  }

  private static String method(String method) {
    if (method == null || method.isBlank()) {
      throw new IllegalArgumentException("method must be a nameko method name, was '" + method + "'");
    }
    return method;
  }

  private void received(String routingKey, AMQP.BasicProperties props, byte[] body) {
    String method = routingKey.substring(routingKey.indexOf('.') + 1);
    Map<String, Object> context = Headers.toContext(props.getHeaders());
    Object stack = context.remove("call_id_stack");
    List<String> callIdStack = new ArrayList<>();
    if (stack instanceof List) {
      ((List<?>) stack).forEach(s -> callIdStack.add(String.valueOf(s)));
    }
    List<Object> args = List.of();
    Map<String, Object> kwargs = Map.of();
    Map<String, Object> reply = new LinkedHashMap<>();
    try {
      Object request = Json.decode(body, StandardCharsets.UTF_8);
      if (request instanceof Map) {
        Object a = ((Map<?, ?>) request).get("args");
        Object k = ((Map<?, ?>) request).get("kwargs");
        args = a instanceof List ? new ArrayList<>((List<?>) a) : List.of();
        kwargs = k instanceof Map ? toStringKeys((Map<?, ?>) k) : Map.of();
      }
    } catch (RuntimeException e) {
      reply.put("result", null);
      reply.put("error", Errors.errorObject("MalformedRequest", "nameko.exceptions.MalformedRequest", List.of(e.getMessage()),
          e.getMessage()));
    }
    StubCall call = new StubCall(method, args, kwargs, context, callIdStack);
    calls.add(call);
    Behaviour b = behaviours.get(method);
    if (b != null && b.hang()) {
      return;
    }
    if (reply.isEmpty()) {
      answer(call, b, reply);
    }
    if (props.getReplyTo() == null) {
      return; // nobody waits for it
    }
    Duration delay = b == null ? Duration.ZERO : b.delay();
    if (delay.isZero()) {
      send(props, reply);
    } else {
      delayed.schedule(() -> send(props, reply), delay.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private static void answer(StubCall call, Behaviour b, Map<String, Object> reply) {
    if (b == null || (b.answer() == null && b.error() == null)) {
      reply.put("result", null);
      reply.put("error", Errors.errorObject("MethodNotFound", "nameko.exceptions.MethodNotFound", List.of(call.method()),
          call.method()));
      return;
    }
    if (b.error() != null) {
      reply.put("result", null);
      reply.put("error", b.error());
      return;
    }
    try {
      reply.put("result", b.answer().apply(call));
      reply.put("error", null);
    } catch (RuntimeException e) {
      reply.put("result", null);
      reply.put("error", Errors.toErrorObject(e));
    }
  }

  private static Map<String, Object> toStringKeys(Map<?, ?> m) {
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(String.valueOf(k), v));
    return out;
  }

  private void send(AMQP.BasicProperties request, Map<String, Object> reply) {
    AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().contentType("application/json").contentEncoding("utf-8")
        .deliveryMode(2).priority(0).correlationId(request.getCorrelationId()).headers(Map.of()).build();
    byte[] body;
    try {
      body = Json.encode(reply);
    } catch (RuntimeException e) { // an answer JSON cannot carry: raised as nameko does for an unserializable result
      Map<String, Object> error = new LinkedHashMap<>();
      error.put("result", null);
      error.put("error", Errors.errorObject("UnserializableValueError", "nameko.exceptions.UnserializableValueError",
          List.of(e.getMessage()), e.getMessage()));
      body = Json.encode(error);
    }
    try {
      synchronized (publishLock) {
        channel.basicPublish(EXCHANGE, request.getReplyTo(), false, props, body);
      }
    } catch (IOException | RuntimeException e) {
      // the stub's connection closed under it: the caller times out, as with a dead service
    }
  }

  /** Stops answering and deletes {@code rpc-<name>}. */
  @Override
  public void close() {
    delayed.shutdownNow();
    try {
      if (channel.isOpen()) {
        channel.queueDelete("rpc-" + name);
      }
      connection.close(5_000);
    } catch (IOException | RuntimeException e) {
      // the broker may be gone already
    }
  }

  @Override
  public String toString() {
    return "StubService{" + name + ", " + calls.size() + " calls}";
  }
}
