package io.github.nameko4j.test;

import java.util.ArrayList;
import java.util.List;

/**
 * The stub services of one test, on one broker: {@link NamekoTestExtension} hands one to each
 * test and closes every stub it started when the test ends. Thread-safe.
 */
public final class Stubs implements AutoCloseable {
  private final String amqpUri;
  private final List<StubService> started = new ArrayList<>();

  public Stubs(String amqpUri) {
    this.amqpUri = amqpUri;
  }

  /** Starts a stub of service {@code name} (see {@link StubService}). */
  public synchronized StubService start(String name) {
    StubService stub = StubService.start(amqpUri, name);
    started.add(stub);
    return stub;
  }

  /** Closes every stub started here (their queues are deleted). */
  @Override
  public synchronized void close() {
    started.forEach(StubService::close);
    started.clear();
  }
}
