package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.rpc.Kwarg;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tags tie a service's events to cached replies: products announces a change of product 42 once,
 * from the command line ({@code nameko-cli dispatch}), and every reply that depended on it, of two
 * methods, is gone in two replicas (this JVM and another) sharing Redis; product 43's stay.
 */
@ExtendWith(TestServicesExtension.class)
class TagsAcrossReplicasIT {
  private static final Path CLI = Path.of("..", "modules", "cli", "target", "nameko-cli.jar");

  /** A products service: answers with the product's current version. */
  public static class Products {
    final Map<Integer, Integer> versions = new ConcurrentHashMap<>();

    @Rpc
    public Map<String, Object> getProduct(int id) {
      return Map.of("id", id, "version", versions.getOrDefault(id, 0));
    }

    @Rpc
    public Map<String, Object> listReviews(@Kwarg("product_id") int productId) {
      return Map.of("product", productId, "version", versions.getOrDefault(productId, 0));
    }
  }

  /** The other replica, in a JVM of its own. */
  private static final class Remote implements AutoCloseable {
    final Process process;
    final BufferedReader out;
    final Writer in;

    Remote(String... args) throws IOException {
      List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
          System.getProperty("java.class.path"), TagReplica.class.getName()));
      command.addAll(List.of(args));
      process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    String ask(String what) throws IOException {
      in.write(what + "\n");
      in.flush();
      return awaitLine(what.split(" ")[0]);
    }

    String awaitLine(String prefix) throws IOException {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith(prefix)) {
          return line;
        }
      }
      throw new AssertionError("the other replica exited before printing " + prefix);
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
  void oneEventFromTheCommandLineDropsEveryReplyTaggedWithItsProductInEveryReplica(TestServices services) throws Exception {
    assertThat(CLI).as("the CLI jar (built by modules/cli before this module)").exists();
    String run = UUID.randomUUID().toString().substring(0, 8);
    String productsService = "products_" + run;
    String[] replicaArgs = {services.amqpUri(), services.redisUri(), "tags_" + run, productsService, "shop_" + run};
    Products products = new Products();
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(productsService, products).start();
        TagReplica a = new TagReplica(replicaArgs[0], replicaArgs[1], replicaArgs[2], replicaArgs[3], replicaArgs[4]);
        Remote b = new Remote(replicaArgs)) {
      assertThat(b.awaitLine("ready")).isEqualTo("ready true");
      await().atMost(Duration.ofSeconds(30)).until(a::ready);

      assertThat(a.product(42)).isEqualTo("product 0 SERVICE");
      assertThat(a.reviews(42)).isEqualTo("reviews 0 SERVICE");
      assertThat(a.product(43)).isEqualTo("product 0 SERVICE");
      assertThat(b.ask("product 42")).isEqualTo("product 0 CACHE"); // the other replica shares Redis
      assertThat(b.ask("reviews 42")).isEqualTo("reviews 0 CACHE");

      products.versions.put(42, 1);
      Process dispatch = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-jar", CLI.toString(),
          "dispatch", productsService, "product_updated", "{\"id\": 42}", "--amqp", services.amqpUri())
          .redirectErrorStream(true).start();
      String dispatched = new String(dispatch.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(dispatch.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(dispatch.exitValue()).as(dispatched).isZero();

      await().atMost(Duration.ofSeconds(10)).until(() -> a.product(42).startsWith("product 1")
          && a.reviews(42).startsWith("reviews 1") && b.ask("product 42").startsWith("product 1")
          && b.ask("reviews 42").startsWith("reviews 1"));
      assertThat(b.ask("product 43")).isEqualTo("product 0 CACHE"); // another product's reply stayed
    } finally {
      Queues.deleteServiceQueues(services.amqpUri(), productsService);
      Queues.delete(services.amqpUri(), "evt-" + productsService + "-product_updated--shop_" + run + ".invalidate_cache_1");
    }
  }
}
