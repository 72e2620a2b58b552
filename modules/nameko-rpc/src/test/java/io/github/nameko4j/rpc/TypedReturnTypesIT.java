package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.github.nameko4j.testsupport.Queues;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Typed interfaces return what Java code returns: {@code Optional<T>} (a JSON null is empty) and
 * value classes that have no default constructor, only one taking their fields (compiled with
 * {@code -parameters}, as records always are). Both failed: Optional with a CodecException
 * suggesting jackson-datatype-jdk8, the value class with "no Creators".
 */
@ExtendWith(TestServicesExtension.class)
class TypedReturnTypesIT {

  /** A value class as many code bases write them: final fields, one constructor, getters. */
  public static final class Point {
    private final int x;
    private final int y;

    public Point(int x, int y) {
      this.x = x;
      this.y = y;
    }

    public int getX() {
      return x;
    }

    public int getY() {
      return y;
    }
  }

  public static class Shapes {
    @Rpc
    public Map<String, Object> point(int x, int y) {
      return Map.of("x", x, "y", y);
    }

    @Rpc
    public Object maybe(String what) {
      return what.isEmpty() ? null : what;
    }

    @Rpc
    public List<Map<String, Object>> points() {
      return List.of(Map.of("x", 1, "y", 2), Map.of("x", 3, "y", 4));
    }
  }

  interface Maybes {
    Optional<String> maybe(String what);
  }

  interface Points {
    Optional<Point> point(int x, int y);

    List<Point> points();
  }

  @Test
  void optionalsAndConstructorOnlyValueClassesComeBackTyped(TestServices services) {
    String service = "shapes_" + UUID.randomUUID().toString().substring(0, 8);
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(service, new Shapes()).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).build()) {
      Maybes maybes = client.proxy(Maybes.class, service);
      assertThat(maybes.maybe("here")).contains("here");
      assertThat(maybes.maybe("")).isEmpty();
      Points points = client.proxy(Points.class, service);
      assertThat(points.point(1, 2)).hasValueSatisfying(p -> {
        assertThat(p.getX()).isEqualTo(1);
        assertThat(p.getY()).isEqualTo(2);
      });
      assertThat(points.points()).extracting(Point::getX, Point::getY)
          .containsExactly(tuple(1, 2), tuple(3, 4));
    } finally {
      Queues.deleteServiceQueues(services.amqpUri(), service);
    }
  }
}
