package io.github.nameko4j.rpc.observation;

import io.github.nameko4j.rpc.observation.NamekoObservation.HighCardinality;
import io.github.nameko4j.rpc.observation.NamekoObservation.LowCardinality;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;

/**
 * The default names: {@code nameko.rpc.client} (span {@code <service>.<method> send}) and {@code
 * nameko.event.dispatch} (span {@code <source>.events <type> publish}), tagged as {@link
 * NamekoObservation.LowCardinality} lists. Extend it to add tags.
 */
public class DefaultNamekoSendConvention implements NamekoSendConvention {
  /** rpc calls: {@code nameko.rpc.client}. */
  public static final DefaultNamekoSendConvention RPC_CLIENT = new DefaultNamekoSendConvention(NamekoObservation.RPC_CLIENT);
  /** event dispatches: {@code nameko.event.dispatch}. */
  public static final DefaultNamekoSendConvention EVENT_DISPATCH = new DefaultNamekoSendConvention(NamekoObservation.EVENT_DISPATCH);

  private final NamekoObservation observation;

  /**
   * @param observation RPC_CLIENT or EVENT_DISPATCH
   */
  protected DefaultNamekoSendConvention(NamekoObservation observation) {
    this.observation = observation;
  }

  @Override
  public String getName() {
    return observation == NamekoObservation.EVENT_DISPATCH ? "nameko.event.dispatch" : "nameko.rpc.client";
  }

  @Override
  public boolean supportsContext(Observation.Context context) {
    return context instanceof NamekoSendContext && ((NamekoSendContext) context).observation() == observation;
  }

  @Override
  public String getContextualName(NamekoSendContext context) {
    return context.observation() == NamekoObservation.EVENT_DISPATCH
        ? context.exchange() + " " + context.routingKey() + " publish"
        : context.routingKey() + " send";
  }

  @Override
  public KeyValues getLowCardinalityKeyValues(NamekoSendContext context) {
    return KeyValues.of(
        LowCardinality.MESSAGING_SYSTEM.withValue("rabbitmq"),
        LowCardinality.MESSAGING_OPERATION.withValue(context.observation() == NamekoObservation.EVENT_DISPATCH ? "publish" : "send"),
        LowCardinality.DESTINATION.withValue(context.exchange()),
        LowCardinality.ROUTING_KEY.withValue(context.routingKey()),
        LowCardinality.SERVICE.withValue(context.service()),
        LowCardinality.METHOD.withValue(context.method()));
  }

  @Override
  public KeyValues getHighCardinalityKeyValues(NamekoSendContext context) {
    return context.correlationId() == null
        ? KeyValues.empty()
        : KeyValues.of(HighCardinality.CONVERSATION_ID.withValue(context.correlationId()));
  }
}
