package io.github.nameko4j.rpc.observation;

import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.ReceiverContext;
import java.util.Map;
import java.util.Objects;

/**
 * What an observed handling knows: an rpc request run by a hosted service ({@link
 * NamekoObservation#RPC_SERVER}) or an event run by a handler ({@link
 * NamekoObservation#EVENT_HANDLER}). Its carrier is the message's AMQP headers, read by a tracing
 * handler to continue the caller's trace ({@code nameko.traceparent}, {@code nameko.tracestate}).
 */
public final class NamekoReceiveContext extends ReceiverContext<Map<String, Object>> {
  private final NamekoObservation observation;
  private final String exchange;
  private final String routingKey;
  private final String service;
  private final String method;
  private final String correlationId;

  /**
   * @param observation RPC_SERVER or EVENT_HANDLER
   * @param headers the message's headers (empty when it had none)
   * @param exchange the exchange it came through
   * @param routingKey its routing key
   * @param service the handling service
   * @param method the handling method
   * @param correlationId the rpc request's correlation id; null for events
   */
  public NamekoReceiveContext(NamekoObservation observation, Map<String, Object> headers, String exchange, String routingKey,
      String service, String method, String correlationId) {
    super((carrier, key) -> {
      Object value = carrier.get(NamekoPropagation.headerName(key));
      return value == null ? null : value.toString(); // an AMQP long string
    }, Kind.CONSUMER);
    this.observation = Objects.requireNonNull(observation, "observation");
    this.exchange = exchange;
    this.routingKey = routingKey;
    this.service = service;
    this.method = method;
    this.correlationId = correlationId;
    setCarrier(headers == null ? Map.of() : headers);
  }

  /** @return which observation this is */
  public NamekoObservation observation() {
    return observation;
  }

  /** @return the exchange */
  public String exchange() {
    return exchange;
  }

  /** @return the routing key */
  public String routingKey() {
    return routingKey;
  }

  /** @return the handling service */
  public String service() {
    return service;
  }

  /** @return the handling method */
  public String method() {
    return method;
  }

  /** @return the rpc request's correlation id, or null for an event */
  public String correlationId() {
    return correlationId;
  }
}
