package io.github.nameko4j.benchmarks;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time spent by this JVM and by the broker (the process listening on the AMQP port, read from
 * /proc on Linux), so a row can say where each call's CPU goes: on 2 cores, throughput under
 * concurrency is bounded by CPU per call, not by latency.
 */
final class CpuClock {
  private static final double TICK_NANOS = 1e9 / 100; // USER_HZ, 100 on Linux

  private final OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private final Path brokerStat;

  CpuClock(int amqpPort) {
    this.brokerStat = findListener(amqpPort);
  }

  interface Rate {
    double run() throws Exception;
  }

  /**
   * Runs {@code load} (calls per second over about {@code seconds}) and adds to {@code totals} the
   * JVM and broker CPU nanoseconds it took and the calls it made; returns the rate.
   */
  double measure(Rate load, double seconds, long[] totals) throws Exception {
    long jvm = jvmNanos();
    long broker = brokerNanos();
    double rate = load.run();
    totals[0] += jvmNanos() - jvm;
    totals[1] += brokerNanos() - broker;
    totals[2] += Math.round(rate * seconds);
    return rate;
  }

  boolean seesBroker() {
    return brokerStat != null;
  }

  long jvmNanos() {
    return os.getProcessCpuTime();
  }

  /** The broker's user + system CPU time, or 0 if it was not found. */
  long brokerNanos() {
    if (brokerStat == null) {
      return 0;
    }
    try {
      String stat = Files.readString(brokerStat);
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (long) ((Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NANOS); // utime, stime
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** /proc/<pid>/stat of the process holding the listening socket on {@code port}, or null. */
  private static Path findListener(int port) {
    try {
      String inode = null;
      for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
        Path p = Path.of(table);
        if (!Files.exists(p)) {
          continue;
        }
        for (String line : Files.readAllLines(p)) {
          String[] f = line.trim().split("\\s+");
          // local address is HEX_IP:HEX_PORT, state 0A is LISTEN
          if (f.length > 9 && f[1].endsWith(String.format(":%04X", port)) && f[3].equals("0A")) {
            inode = f[9];
          }
        }
      }
      if (inode == null) {
        return null;
      }
      String socket = "socket:[" + inode + "]";
      try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
        for (Path proc : procs) {
          try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
              if (socket.equals(String.valueOf(Files.readSymbolicLink(fd)))) {
                return proc.resolve("stat");
              }
            }
          } catch (IOException | SecurityException e) {
            // not ours to read, or gone
          }
        }
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }
}
