package io.github.nameko4j.benchmarks;

import io.github.nameko4j.testsupport.RawEchoClient;
import io.github.nameko4j.testsupport.RawEchoServer;
import java.util.UUID;

/** The raw echo's server and client in this JVM, for the in-process rows: see {@link RawEchoServer}. */
final class RawEcho implements AutoCloseable {
  private final RawEchoServer server;
  private final RawEchoClient client;

  RawEcho(String uri, int workers, byte[] reply) throws Exception {
    this(uri, workers, reply, false);
  }

  /** @param namekoProperties both sides carry the message properties nameko's protocol needs */
  RawEcho(String uri, int workers, byte[] reply, boolean namekoProperties) throws Exception {
    String queue = "bench-raw-" + UUID.randomUUID().toString().substring(0, 8);
    server = new RawEchoServer(uri, queue, workers, namekoProperties, reply);
    client = new RawEchoClient(uri, queue, namekoProperties);
  }

  /** One request/reply, waiting for the reply. */
  byte[] call(byte[] body) throws Exception {
    return client.call(body);
  }

  @Override
  public void close() throws Exception {
    try {
      client.close();
    } finally {
      server.close();
    }
  }
}
