package io.github.nameko4j.rpc.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/** Names and tags of rpc calls and event dispatches; implement it to change them. */
public interface NamekoSendConvention extends ObservationConvention<NamekoSendContext> {
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof NamekoSendContext;
  }
}
