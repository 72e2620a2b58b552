package io.github.nameko4j.spring;

import io.github.nameko4j.rpc.Rpc;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** The target the caching clients call, hosted outside the application by the tests. */
public class Inventory {
  final AtomicInteger calls = new AtomicInteger();

  /** [item, how many calls so far]: tells a fresh reply from a cached one. */
  @Rpc
  public List<Object> stamp(String item) {
    return List.of(item, calls.incrementAndGet());
  }

  @Rpc
  public Object other(String item) {
    return Map.of("item", item);
  }
}
