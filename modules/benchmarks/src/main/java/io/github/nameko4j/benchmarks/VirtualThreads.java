package io.github.nameko4j.benchmarks;

import java.lang.reflect.Method;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Virtual threads through reflection: the benchmark compiles for Java 17 and uses them on 21+. */
final class VirtualThreads {
  private VirtualThreads() {}

  /** {@code Executors.newVirtualThreadPerTaskExecutor()}. */
  static ExecutorService executor() throws ReflectiveOperationException {
    Method m = Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
    return (ExecutorService) m.invoke(null);
  }
}
