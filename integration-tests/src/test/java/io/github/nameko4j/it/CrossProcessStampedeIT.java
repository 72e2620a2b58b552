package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two replicas, each a JVM of its own with 50 callers, burst on one cold key with the store's
 * defaults and the cross-replica lease: the service is called once per key, round after round.
 */
@ExtendWith(TestServicesExtension.class)
class CrossProcessStampedeIT {
  private static final int CALLERS = 50;
  private static final int ROUNDS = 10;

  /** One replica process and its lines of output. */
  private static final class Replica implements AutoCloseable {
    final Process process;
    final BufferedReader out;
    final Writer in;

    Replica(String... args) throws IOException {
      List<String> command = new ArrayList<>(List.of(
          ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"),
          BurstReplica.class.getName()));
      command.addAll(List.of(args));
      process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /** The next line starting with {@code prefix}; other lines (logs) are skipped. */
    String await(String prefix) throws IOException {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith(prefix)) {
          return line;
        }
      }
      throw new AssertionError("replica exited (" + process.isAlive() + ") before printing " + prefix);
    }

    void send(String line) throws IOException {
      in.write(line + "\n");
      in.flush();
    }

    @Override
    public void close() throws Exception {
      in.close();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  @Test
  void twoProcessesOfFiftyCallersBurstingOnAColdKeyCallTheServiceOnce(TestServices services) throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    Fixture.Counting target = new Fixture.Counting("burst_" + id);
    target.delayMillis = 200;
    String[] args = {services.amqpUri(), services.redisUri(), "burst_" + id, target.name, String.valueOf(CALLERS)};
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(target.name, target).maxWorkers(16).start();
        Replica a = new Replica(args);
        Replica b = new Replica(args)) {
      a.await("ready");
      b.await("ready");
      for (int round = -1; round < ROUNDS; round++) { // round -1 warms both JVMs up
        String key = "cold-" + round;
        a.send("go " + key);
        b.send("go " + key);
        CompletableFuture<String> doneA = CompletableFuture.supplyAsync(() -> uncheck(() -> a.await("done")));
        String doneB = b.await("done");
        String sources = doneA.get(60, TimeUnit.SECONDS) + " " + doneB;
        assertThat(sources).as("round %d", round).doesNotContain("error");
        if (round >= 0) {
          assertThat(target.calls("echo", key)).as("service calls in round %d: %s", round, sources).isEqualTo(1);
        }
      }
    } finally {
      Fixture.deleteQueues(services.amqpUri(), target.name);
    }
  }

  private interface IoSupplier<T> {
    T get() throws IOException;
  }

  private static <T> T uncheck(IoSupplier<T> s) {
    try {
      return s.get();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
