package io.github.nameko4j.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A RabbitMQ cluster a test owns: {@code size} {@link RabbitNodeProcess} nodes on loopback, with
 * their own names, AMQP and distribution ports and data under {@code target/}, one shared Erlang
 * cookie, joined to the first. {@link #close()} stops every node, also when starting failed
 * halfway. On 2 cores, 3 nodes take about half a minute to form.
 */
public final class RabbitClusterProcess implements AutoCloseable {
  private final List<RabbitNodeProcess> nodes;

  private RabbitClusterProcess(List<RabbitNodeProcess> nodes) {
    this.nodes = nodes;
  }

  /** Starts the nodes one after the other and joins each to the first. */
  public static RabbitClusterProcess start(int size, String... configLines) {
    String cookie = "NAMEKO4JCLUSTER" + UUID.randomUUID().toString().replace("-", "").toUpperCase();
    List<RabbitNodeProcess> nodes = new ArrayList<>();
    RabbitClusterProcess cluster = new RabbitClusterProcess(nodes);
    try {
      for (int i = 0; i < size; i++) {
        RabbitNodeProcess node = RabbitNodeProcess.prepare(cookie, configLines);
        nodes.add(node);
        node.launch();
        if (i > 0) {
          node.ctl("stop_app");
          node.ctl("join_cluster", nodes.get(0).nodeName());
          node.startApp();
        }
      }
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  public List<RabbitNodeProcess> nodes() {
    return List.copyOf(nodes);
  }

  public RabbitNodeProcess node(int i) {
    return nodes.get(i);
  }

  /** Every node, {@code ;}-separated, as a nameko4j URI lists a cluster. */
  public String amqpUri() {
    return nodes.stream().map(RabbitNodeProcess::amqpUri).collect(Collectors.joining(";"));
  }

  /** The node on {@code port}. */
  public RabbitNodeProcess byPort(int port) {
    return nodes.stream().filter(n -> n.port() == port).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node on port " + port));
  }

  @Override
  public void close() {
    nodes.forEach(RabbitNodeProcess::close);
  }
}
