package io.github.nameko4j.test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One call a {@link StubService} received, as nameko delivered it.
 *
 * @param method the method called
 * @param args positional arguments
 * @param kwargs keyword arguments
 * @param contextData the caller's context data (AMQP headers without their {@code nameko.} prefix), e.g. {@code auth_token}
 * @param callIdStack the call id stack, the caller's id last
 */
public record StubCall(String method, List<Object> args, Map<String, Object> kwargs, Map<String, Object> contextData,
    List<String> callIdStack) {
  public StubCall {
    args = Collections.unmodifiableList(new ArrayList<>(args));
    kwargs = Collections.unmodifiableMap(new LinkedHashMap<>(kwargs));
    contextData = Collections.unmodifiableMap(new LinkedHashMap<>(contextData));
    callIdStack = List.copyOf(callIdStack);
  }
}
