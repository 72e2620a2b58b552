package io.github.nameko4j.benchmarks;

import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.testsupport.Queues;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Row 10a: one rpc round trip, client and server in this JVM, for its allocation per call. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RpcCallBench {
  NamekoRpcServer server;
  NamekoRpcClient client;
  String service;

  @Setup
  public void setUp() {
    service = "bench_alloc_" + UUID.randomUUID().toString().substring(0, 8);
    server = NamekoRpcServer.builder().uri(Benchmarks.amqpUri()).service(service, new Benchmarks.Echo()).start();
    client = NamekoRpcClient.builder().uri(Benchmarks.amqpUri()).build();
  }

  @TearDown
  public void tearDown() {
    client.close();
    server.close();
    Queues.deleteServiceQueues(Benchmarks.amqpUri(), service);
  }

  @Benchmark
  public Object call() {
    return client.call(service, "echo", "hello");
  }
}
