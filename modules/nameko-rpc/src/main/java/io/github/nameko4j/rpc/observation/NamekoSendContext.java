package io.github.nameko4j.rpc.observation;

import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.SenderContext;
import java.util.Map;
import java.util.Objects;

/**
 * What an observed publish knows: an rpc request ({@link NamekoObservation#RPC_CLIENT}) or an
 * event ({@link NamekoObservation#EVENT_DISPATCH}). Its carrier is the message's AMQP headers: a
 * tracing handler writes the trace context there, each key prefixed with {@code nameko.} as
 * nameko's context data, e.g. {@code nameko.traceparent}, which Python nameko services carry on.
 */
public final class NamekoSendContext extends SenderContext<Map<String, Object>> {
  private final NamekoObservation observation;
  private final String exchange;
  private final String routingKey;
  private final String service;
  private final String method;
  private final String correlationId;

  /**
   * @param observation RPC_CLIENT or EVENT_DISPATCH
   * @param headers the message's headers, written to by propagation
   * @param exchange the exchange published to
   * @param routingKey the routing key
   * @param service the service called, or the event's source
   * @param method the method called, or the event type
   * @param correlationId the rpc request's correlation id; null for events
   */
  public NamekoSendContext(NamekoObservation observation, Map<String, Object> headers, String exchange, String routingKey,
      String service, String method, String correlationId) {
    super((carrier, key, value) -> carrier.put(NamekoPropagation.headerName(key), value), Kind.PRODUCER);
    this.observation = Objects.requireNonNull(observation, "observation");
    this.exchange = exchange;
    this.routingKey = routingKey;
    this.service = service;
    this.method = method;
    this.correlationId = correlationId;
    setCarrier(headers);
    setRemoteServiceName(service);
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

  /** @return the service called, or the event's source */
  public String service() {
    return service;
  }

  /** @return the method called, or the event type */
  public String method() {
    return method;
  }

  /** @return the rpc request's correlation id, or null for an event */
  public String correlationId() {
    return correlationId;
  }
}
