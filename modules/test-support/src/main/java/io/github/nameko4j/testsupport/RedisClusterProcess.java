package io.github.nameko4j.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A Redis Cluster a test owns: {@code masters} masters with {@code replicasPerMaster} replicas
 * each, every node a {@link RedisServerProcess} on a free loopback port, joined with {@code
 * redis-cli --cluster create}. {@link #close()} kills every node, also when starting failed
 * halfway. A short {@code cluster-node-timeout} (2 s) lets a replica take over a dead master within
 * a few seconds.
 */
public final class RedisClusterProcess implements AutoCloseable {
  /** How long a node may be unreachable before the cluster fails it over. */
  public static final int NODE_TIMEOUT_MILLIS = 2000;

  private final List<RedisServerProcess> nodes;

  private RedisClusterProcess(List<RedisServerProcess> nodes) {
    this.nodes = nodes;
  }

  /** Starts the nodes, creates the cluster and waits until it reports {@code cluster_state:ok}. */
  public static RedisClusterProcess start(int masters, int replicasPerMaster) {
    List<RedisServerProcess> nodes = new ArrayList<>();
    RedisClusterProcess cluster = new RedisClusterProcess(nodes);
    try {
      for (int i = 0; i < masters * (1 + replicasPerMaster); i++) {
        nodes.add(RedisServerProcess.start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", String.valueOf(NODE_TIMEOUT_MILLIS)));
      }
      List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
      for (RedisServerProcess n : nodes) {
        create.add("127.0.0.1:" + n.port());
      }
      create.addAll(List.of("--cluster-replicas", String.valueOf(replicasPerMaster), "--cluster-yes"));
      String out = RedisServerProcess.run(create);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!cluster.healthy()) {
        if (System.nanoTime() > deadline) {
          throw new ServiceUnavailableError("the test Redis Cluster did not become healthy within 30 s: " + out);
        }
        Thread.sleep(100);
      }
      return cluster;
    } catch (RuntimeException | Error | InterruptedException e) {
      cluster.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw e instanceof ServiceUnavailableError ? (ServiceUnavailableError) e
          : new ServiceUnavailableError("cannot start a test Redis Cluster: " + e);
    }
  }

  /** True when every live node says the cluster is ok and knows every master. */
  private boolean healthy() {
    for (RedisServerProcess n : nodes) {
      if (!n.cli("CLUSTER", "INFO").contains("cluster_state:ok")) {
        return false;
      }
    }
    return true;
  }

  /** {@code redis://127.0.0.1:<port>} of every node. */
  public String[] uris() {
    return nodes.stream().map(RedisServerProcess::uri).toArray(String[]::new);
  }

  public List<RedisServerProcess> nodes() {
    return List.copyOf(nodes);
  }

  /**
   * The master serving each slot range, as a node alive now sees it: range start → port. A slot
   * belongs to the entry with the greatest start at or below it.
   */
  public TreeMap<Integer, Integer> slotOwners() {
    TreeMap<Integer, Integer> owners = new TreeMap<>();
    for (String line : alive().cli("CLUSTER", "NODES").split("\n")) {
      String[] f = line.trim().split(" ");
      if (f.length < 9 || !f[2].contains("master") || f[2].contains("fail")) {
        continue;
      }
      int port = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1).split("@")[0]);
      for (int i = 8; i < f.length; i++) {
        if (f[i].startsWith("[")) {
          continue; // a slot being migrated
        }
        owners.put(Integer.parseInt(f[i].split("-")[0]), port);
      }
    }
    return owners;
  }

  /** The port of the master serving {@code slot} now. */
  public int ownerOf(int slot) {
    Map.Entry<Integer, Integer> e = slotOwners().floorEntry(slot);
    if (e == null) {
      throw new IllegalStateException("no master serves slot " + slot);
    }
    return e.getValue();
  }

  /** The node on {@code port}. */
  public RedisServerProcess node(int port) {
    return nodes.stream().filter(n -> n.port() == port).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node on port " + port));
  }

  private RedisServerProcess alive() {
    for (RedisServerProcess n : nodes) {
      try {
        if (n.cli("PING").equals("PONG")) {
          return n;
        }
      } catch (RuntimeException e) {
        // dead: try the next
      }
    }
    throw new IllegalStateException("no node of the test cluster answers");
  }

  /** Kills every node. */
  @Override
  public void close() {
    nodes.forEach(RedisServerProcess::close);
  }
}
