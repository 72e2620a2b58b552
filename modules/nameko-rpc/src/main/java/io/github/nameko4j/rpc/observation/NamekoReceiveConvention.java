package io.github.nameko4j.rpc.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/** Names and tags of rpc requests and events handled; implement it to change them. */
public interface NamekoReceiveConvention extends ObservationConvention<NamekoReceiveContext> {
  @Override
  default boolean supportsContext(Observation.Context context) {
    return context instanceof NamekoReceiveContext;
  }
}
