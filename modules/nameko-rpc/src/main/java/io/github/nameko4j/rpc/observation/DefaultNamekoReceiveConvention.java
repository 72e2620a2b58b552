package io.github.nameko4j.rpc.observation;

import io.github.nameko4j.rpc.observation.NamekoObservation.HighCardinality;
import io.github.nameko4j.rpc.observation.NamekoObservation.LowCardinality;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;

/**
 * The default names: {@code nameko.rpc.server} (span {@code <service>.<method> process}) and
 * {@code nameko.event.handler} (span {@code <source>.events <type> process}), tagged as {@link
 * NamekoObservation.LowCardinality} lists. Extend it to add tags.
 */
public class DefaultNamekoReceiveConvention implements NamekoReceiveConvention {
  /** rpc requests handled: {@code nameko.rpc.server}. */
  public static final DefaultNamekoReceiveConvention RPC_SERVER = new DefaultNamekoReceiveConvention(NamekoObservation.RPC_SERVER);
  /** events handled: {@code nameko.event.handler}. */
  public static final DefaultNamekoReceiveConvention EVENT_HANDLER = new DefaultNamekoReceiveConvention(NamekoObservation.EVENT_HANDLER);

  private final NamekoObservation observation;

  /**
   * @param observation RPC_SERVER or EVENT_HANDLER
   */
  protected DefaultNamekoReceiveConvention(NamekoObservation observation) {
    this.observation = observation;
  }

  @Override
  public String getName() {
    return observation == NamekoObservation.EVENT_HANDLER ? "nameko.event.handler" : "nameko.rpc.server";
  }

  @Override
  public boolean supportsContext(Observation.Context context) {
    return context instanceof NamekoReceiveContext && ((NamekoReceiveContext) context).observation() == observation;
  }

  @Override
  public String getContextualName(NamekoReceiveContext context) {
    return context.observation() == NamekoObservation.EVENT_HANDLER
        ? context.exchange() + " " + context.routingKey() + " process"
        : context.service() + "." + context.method() + " process";
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(NamekoReceiveContext context) {
    return KeyValues.of(
        LowCardinality.MESSAGING_SYSTEM.withValue("rabbitmq"),
        LowCardinality.MESSAGING_OPERATION.withValue("process"),
        LowCardinality.DESTINATION.withValue(context.exchange()),
        LowCardinality.ROUTING_KEY.withValue(context.routingKey()),
        LowCardinality.SERVICE.withValue(context.service()),
        LowCardinality.METHOD.withValue(context.method()));
  }

  @Override
  public KeyValues getHighCardinalityKeyValues(NamekoReceiveContext context) {
    return context.correlationId() == null
        ? KeyValues.empty()
        : KeyValues.of(HighCardinality.CONVERSATION_ID.withValue(context.correlationId()));
  }
}
