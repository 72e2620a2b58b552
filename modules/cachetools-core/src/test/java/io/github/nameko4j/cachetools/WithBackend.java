package io.github.nameko4j.cachetools;

import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Base of the proxy tests: one {@link Backend} service and one RPC client per test class, and the
 * backend healthy and fast again after every test.
 */
@ExtendWith(TestServicesExtension.class)
abstract class WithBackend {
  static Backend backend;
  static NamekoRpcClient client;

  @BeforeAll
  static void startBackend(TestServices services) {
    backend = new Backend(services.amqpUri());
    client = Backend.client(services.amqpUri());
  }

  @AfterAll
  static void stopBackend() {
    client.close();
    backend.close();
  }

  @AfterEach
  void healBackend() {
    backend.failing = false;
    backend.delayMillis = 0;
  }
}
