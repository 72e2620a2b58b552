package io.github.nameko4j.examples;

import io.github.nameko4j.rpc.Rpc;
import java.util.concurrent.atomic.AtomicInteger;

/** The demo's dependency, {@code other_service}: numbers its answers, and can be made slow. */
public final class OtherService {
  final AtomicInteger calls = new AtomicInteger();
  volatile long delayMillis;

  @Rpc
  public String doSomething(String request) throws InterruptedException {
    int n = calls.incrementAndGet();
    pause();
    return "answer #" + n + " to " + request;
  }

  @Rpc
  public String lookup(String key) throws InterruptedException {
    int n = calls.incrementAndGet();
    pause();
    return "value of " + key + " (answer #" + n + ")";
  }

  private void pause() throws InterruptedException {
    long delay = delayMillis;
    if (delay > 0) {
      Thread.sleep(delay);
    }
  }
}
