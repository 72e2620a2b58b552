package io.github.nameko4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs the built jar as a user would: one process serves echo_java, others call it. */
@ExtendWith(TestServicesExtension.class)
class CliIT {
  private static final Path JAR = Path.of("target", "nameko-cli.jar");
  private static Process server;
  private static Path serverLog;
  private static String amqp;

  record Result(int exit, String out, String err) {}

  @BeforeAll
  static void serve(TestServices services) throws Exception {
    assertThat(JAR).exists();
    amqp = services.amqpUri();
    serverLog = Files.createTempFile("nameko-cli-serve", ".log");
    server = new ProcessBuilder(java(), "-jar", JAR.toString(), "serve", "echo", "--amqp", amqp)
        .redirectErrorStream(true).redirectOutput(serverLog.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.readString(serverLog).contains("serving echo_java")) {
      assertThat(server.isAlive()).as("server died: %s", Files.readString(serverLog)).isTrue();
      assertThat(System.nanoTime()).as("server did not start").isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null && server.isAlive()) {
      server.destroyForcibly();
    }
    Queues.deleteServiceQueues(amqp, "echo_java");
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static Result cli(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(java(), "-jar", JAR.toString()));
    command.addAll(List.of(args));
    if (!List.of(args).contains("--amqp")) {
      command.addAll(List.of("--amqp", amqp));
    }
    File out = File.createTempFile("cli", ".out");
    File err = File.createTempFile("cli", ".err");
    Process p = new ProcessBuilder(command).redirectOutput(out).redirectError(err).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("cli finished").isTrue();
    return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8).trim(),
        Files.readString(err.toPath(), StandardCharsets.UTF_8).trim());
  }

  /**
   * Main.run in this JVM, for cases decided before anything connects (argument parsing): the same
   * code the jar runs, without a JVM start per case.
   */
  private static Result inProcess(String... args) {
    List<String> command = new ArrayList<>(List.of(args));
    if (!command.contains("--amqp")) {
      command.addAll(List.of("--amqp", amqp));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(command.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(exit, out.toString(StandardCharsets.UTF_8).trim(), err.toString(StandardCharsets.UTF_8).trim());
  }

  @Test
  void callPrintsTheResultAsJson() throws Exception {
    Result r = cli("call", "echo_java", "add", "[1, 2]");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("3");
    Result kw = cli("call", "echo_java", "add", "--kwargs", "{\"a\": \"foo\", \"b\": \"bar\"}");
    assertThat(kw.out()).isEqualTo("\"foobar\"");
    Result big = cli("call", "echo_java", "echo", "[{\"n\": 9223372036854775809, \"u\": \"h\\u00e9llo \\u2713\"}]");
    assertThat(big.out()).as("printed as UTF-8 for people, not escaped as on the wire").isEqualTo("{\"n\":9223372036854775809,\"u\":\"héllo ✓\"}");
  }

  @Test
  void remoteErrorGoesToStderrWithANonZeroExit() throws Exception {
    Result r = cli("call", "echo_java", "boom", "[\"kaboom\"]");
    assertThat(r.exit()).isEqualTo(Main.REMOTE_ERROR);
    assertThat(r.err()).contains("EchoError: kaboom");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void unknownServiceAndTimeoutFailFast() throws Exception {
    long start = System.nanoTime();
    Result unknown = cli("call", "no_such_service_cli", "echo", "[1]");
    assertThat(unknown.exit()).isEqualTo(Main.UNKNOWN_SERVICE);
    assertThat(unknown.err()).contains("Unknown service `no_such_service_cli`");
    Result timeout = cli("call", "echo_java", "slow", "[5, 1]", "--timeout", "0.5");
    assertThat(timeout.exit()).isEqualTo(Main.TIMEOUT);
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(20);
  }

  @Test
  void badUsageExitsWith64NamingWhatIsWrongInOneLine() throws Exception {
    Map<List<String>, String> cases = new LinkedHashMap<>();
    cases.put(List.of("call", "echo_java"), "call needs SERVICE and METHOD");
    cases.put(List.of("call", "echo_java", "echo", "[1,"), "ARGS_JSON is not valid JSON: Unexpected end-of-input");
    cases.put(List.of("call", "echo_java", "echo", "--timeout", "abc"), "--timeout must be a number, was 'abc'");
    cases.put(List.of("call", "echo_java", "echo", "--kwargs", "[1]"), "--kwargs must be a JSON object");
    cases.put(List.of("call", "echo_java", "echo", "[1] x"), "ARGS_JSON is not valid JSON: Unrecognized token 'x'");
    cases.put(List.of("call", "echo_java", "echo", "[1]", "--kwargs", "{"), "--kwargs is not valid JSON: Unexpected end-of-input: "
        + "expected close marker for Object (start marker at line 1, column 1)");
    cases.put(List.of("call", "echo_java", "add", "{\"a\": 1}"), "ARGS_JSON is a JSON object: give keyword arguments with --kwargs");
    cases.put(List.of("call", "echo_java", "echo", "[1]", "--timeout", "0"), "--timeout must be more than 0 and at most 86400 seconds, was '0'");
    cases.put(List.of("--bogus"), "unknown option --bogus");
    cases.put(List.of("call", "echo_java", "echo", "--amqp", "http://localhost:15672"), "unsupported scheme 'http'");
    cases.put(List.of("call", "echo_java", "echo", "--amqp", "amqp://guest:s3cr#t@localhost"), "must be percent-encoded");
    for (Map.Entry<List<String>, String> c : cases.entrySet()) {
      Result r = inProcess(c.getKey().toArray(new String[0]));
      assertThat(r.exit()).as("%s", c.getKey()).isEqualTo(Main.USAGE);
      assertThat(r.err()).as("%s", c.getKey()).startsWith("error: ").contains(c.getValue())
          .doesNotContain("Source: REDACTED", "Exception", "\tat ", "s3cr");
    }
    Result help = cli("--help"); // one through the jar: the packaged entry point reads its arguments
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("usage:", "pyamqp://");
  }

  @Test
  void aNamekoStyleUriAndABrokerThatRefusesSayWhatIsWrong() throws Exception {
    String pyamqp = amqp.replaceFirst("^amqp://", "pyamqp://") + (amqp.endsWith("/") ? "/" : "//");
    Result ok = cli("call", "no_such_service_cli", "echo", "[1]", "--amqp", pyamqp);
    assertThat(ok.exit()).as(ok.err()).isEqualTo(Main.UNKNOWN_SERVICE); // connected: the URI was read
    Result wrongPassword = cli("call", "echo_java", "echo", "[1]", "--amqp", amqp.replaceFirst("://([^:]*):[^@]*@", "://$1:wrong@"));
    assertThat(wrongPassword.exit()).isEqualTo(Main.TRANSPORT);
    assertThat(wrongPassword.err()).contains("refused the login").doesNotContain("\tat ", "WARN");
    Result noVhost = cli("call", "echo_java", "echo", "[1]", "--amqp", amqp.replaceFirst("(:\\d+)/?.*$", "$1") + "/no_such_vhost");
    assertThat(noVhost.exit()).isEqualTo(Main.TRANSPORT);
    assertThat(noVhost.err()).contains("vhost no_such_vhost not found");
  }

  @Test
  void listenPrintsEachDispatchedEventAsAJsonLine() throws Exception {
    String source = "cli_src_" + Long.toHexString(System.nanoTime());
    Path out = Files.createTempFile("nameko-cli-listen", ".out");
    Path err = Files.createTempFile("nameko-cli-listen", ".err");
    Process listener = new ProcessBuilder(java(), "-jar", JAR.toString(), "listen", source, "product_updated", "product_deleted",
        "--count", "2", "--timeout", "60", "--amqp", amqp).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.readString(err).contains("listening to " + source)) {
        assertThat(listener.isAlive()).as("listener died: %s", Files.readString(err)).isTrue();
        assertThat(System.nanoTime()).as("listener did not start").isLessThan(deadline);
        Thread.sleep(100);
      }
      Result first = cli("dispatch", source, "product_updated", "{\"id\": 42, \"name\": \"caf\u00e9\"}");
      assertThat(first.exit()).as(first.err()).isZero();
      assertThat(first.err()).isEqualTo("dispatched " + source + ".product_updated");
      assertThat(cli("dispatch", source, "not_listened_to", "1").exit()).isZero();
      assertThat(cli("dispatch", source, "product_deleted").exit()).isZero(); // no payload: null
      assertThat(listener.waitFor(60, TimeUnit.SECONDS)).as("listener exits after --count events").isTrue();
      assertThat(listener.exitValue()).as(Files.readString(err)).isZero();
      List<String> lines = Files.readAllLines(out);
      assertThat(lines).containsExactly(
          "{\"source\":\"" + source + "\",\"type\":\"product_updated\",\"payload\":{\"id\":42,\"name\":\"caf\u00e9\"},"
              + "\"context\":{},\"call_id_stack\":[],\"redelivered\":false}",
          "{\"source\":\"" + source + "\",\"type\":\"product_deleted\",\"payload\":null,"
              + "\"context\":{},\"call_id_stack\":[],\"redelivered\":false}");
    } finally {
      listener.destroyForcibly();
    }
  }

  @Test
  void eventCommandsRefuseBadUsageInOneLine() throws Exception {
    Map<List<String>, String> cases = new LinkedHashMap<>();
    cases.put(List.of("dispatch", "products"), "dispatch takes SOURCE EVENT_TYPE [PAYLOAD_JSON]");
    cases.put(List.of("dispatch", "products", "product_updated", "{\"id\":"), "PAYLOAD_JSON is not valid JSON");
    cases.put(List.of("dispatch", "no.dots", "product_updated"), "source 'no.dots' is not a valid nameko name");
    cases.put(List.of("listen"), "listen needs SOURCE");
    cases.put(List.of("listen", "products", "--timeout", "5"), "listen --timeout needs --count");
    cases.put(List.of("call", "echo_java", "echo", "--count", "2"), "--count is an option of listen");
    for (Map.Entry<List<String>, String> c : cases.entrySet()) {
      Result r = inProcess(c.getKey().toArray(new String[0]));
      assertThat(r.exit()).as("%s: %s", c.getKey(), r.err()).isEqualTo(Main.USAGE);
      assertThat(r.err()).as("%s", c.getKey()).startsWith("error: ").contains(c.getValue()).doesNotContain("\tat ");
    }
  }

  @Test
  void serveStopsCleanlyOnSigterm() throws Exception {
    Path log = Files.createTempFile("nameko-cli-serve2", ".log");
    Process second = new ProcessBuilder(java(), "-jar", JAR.toString(), "serve", "echo", "--amqp", amqp)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.readString(log).contains("serving echo_java")) {
        assertThat(System.nanoTime()).isLessThan(deadline);
        Thread.sleep(100);
      }
      second.destroy(); // SIGTERM
      assertThat(second.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(Files.readString(log)).contains("service echo_java stopped");
    } finally {
      second.destroyForcibly();
    }
  }
}
