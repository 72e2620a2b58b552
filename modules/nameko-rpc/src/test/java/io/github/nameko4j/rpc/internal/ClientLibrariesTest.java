package io.github.nameko4j.rpc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClientLibrariesTest {

  @Test
  void olderClientsAreRefusedNewerOnesAndUnreadableVersionsPass() {
    assertThat(ClientLibraries.atLeast("5.27.1", "5.37.0")).isFalse(); // Spring Boot 4.0's
    assertThat(ClientLibraries.atLeast("5.36.9", "5.37.0")).isFalse();
    assertThat(ClientLibraries.atLeast("5.37.0", "5.37.0")).isTrue();
    assertThat(ClientLibraries.atLeast("5.37.1", "5.37.0")).isTrue();
    assertThat(ClientLibraries.atLeast("5.40.0-SNAPSHOT", "5.37.0")).isTrue();
    assertThat(ClientLibraries.atLeast("6.0", "5.37.0")).isTrue();
    assertThat(ClientLibraries.atLeast("unknown", "5.37.0")).isTrue();
    assertThat(ClientLibraries.atLeast(null, "5.37.0")).isTrue();
  }

  @Test
  void theClientThisBuildRunsOnPasses() {
    ClientLibraries.requireAmqpClient();
  }
}
