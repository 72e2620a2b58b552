package io.github.nameko4j.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.nameko4j.rpc.internal.Errors;
import io.github.nameko4j.rpc.internal.Names;
import io.github.nameko4j.rpc.internal.ServiceMethods;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

class ArgumentBindingTest {

  public static class Calc {
    @Rpc
    public long add(long a, long b) {
      return a + b;
    }

    @Rpc("renamed")
    public String doSomething(@Kwarg("text") String s) {
      return s;
    }
  }

  private final ServiceMethods methods = new ServiceMethods(new Calc());

  @Test
  void bindsPositionalThenKeywordArguments() {
    Object[] values = ServiceMethods.bind(methods.find("add"), List.of(1), Map.of("b", 2));
    assertThat(values).containsExactly(1L, 2L);
  }

  @Test
  void reportsMissingArgumentsInPythonsWords() {
    assertThatThrownBy(() -> ServiceMethods.bind(methods.find("add"), List.of(1), Map.of()))
        .isInstanceOf(IncorrectSignatureException.class)
        .hasMessageEndingWith("add() missing 1 required positional argument: 'b'");
    assertThatThrownBy(() -> ServiceMethods.bind(methods.find("add"), List.of(), Map.of()))
        .hasMessageEndingWith("add() missing 2 required positional arguments: 'a' and 'b'");
  }

  @Test
  void reportsExtraDuplicateAndUnknownArguments() {
    assertThatThrownBy(() -> ServiceMethods.bind(methods.find("add"), List.of(1, 2, 3), Map.of()))
        .hasMessageEndingWith("add() takes 2 positional arguments but 3 were given");
    assertThatThrownBy(() -> ServiceMethods.bind(methods.find("add"), List.of(1, 2), Map.of("a", 1)))
        .hasMessageEndingWith("add() got multiple values for argument 'a'");
    assertThatThrownBy(() -> ServiceMethods.bind(methods.find("add"), List.of(1, 2), Map.of("c", 1)))
        .hasMessageEndingWith("add() got an unexpected keyword argument 'c'");
  }

  @Test
  void reportsArgumentsOfTheWrongType() {
    assertThatThrownBy(() -> ServiceMethods.bind(methods.find("add"), List.of("x", 2), Map.of()))
        .isInstanceOf(IncorrectSignatureException.class)
        .hasMessageContaining("add() argument 'a'");
  }

  @Test
  void usesAnnotatedNamesForMethodsAndKeywords() {
    assertThat(methods.names()).containsExactlyInAnyOrder("add", "renamed");
    assertThat(ServiceMethods.bind(methods.find("renamed"), List.of(), Map.of("text", "hi"))).containsExactly("hi");
  }

  @Test
  void refusesAnObjectWithoutRpcMethods() {
    assertThatThrownBy(() -> new ServiceMethods(new Object()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no public method annotated with @Rpc");
  }

  @Test
  void errorObjectsNameTheRealFailureNotTheFutureWrapper() {
    Map<String, Object> error = Errors.toErrorObject(
        new CompletionException(new IllegalStateException("real")));
    assertThat(error).containsEntry("exc_type", "IllegalStateException").containsEntry("value", "real");
  }

  @Test
  void mapsJavaNamesToSnakeCase() {
    assertThat(Names.snakeCase("doSomething")).isEqualTo("do_something");
    assertThat(Names.snakeCase("getHTTPCode")).isEqualTo("get_http_code");
    assertThat(Names.snakeCase("echo")).isEqualTo("echo");
    assertThat(Names.snakeCase("already_snake")).isEqualTo("already_snake");
  }

  @Test
  void refusesNamesThatCannotBeRouted() {
    assertThatThrownBy(() -> Names.require("service", "a.b")).hasMessageContaining("service 'a.b'");
    assertThatThrownBy(() -> Names.require("method", " ")).hasMessage("method must not be blank");
    assertThatThrownBy(() -> Names.require("service", null)).hasMessage("service must not be null");
  }

  @Test
  void methodsCompiledWithoutParameterNamesAreReportedSoTheServerCanWarn() throws Exception {
    Path dir = Files.createTempDirectory("no-parameters");
    Path source = dir.resolve("NoNames.java");
    Files.writeString(source, "public class NoNames {\n"
        + "  @io.github.nameko4j.rpc.Rpc public Object greet(String who) { return who; }\n"
        + "  @io.github.nameko4j.rpc.Rpc public Object named(@io.github.nameko4j.rpc.Kwarg(\"who\") String who) { return who; }\n"
        + "}\n");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    // javac's default, and Maven's unless told otherwise: no -parameters
    int status = javac.run(null, null, null, "-cp", System.getProperty("java.class.path"), "-d", dir.toString(), source.toString());
    assertThat(status).isZero();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      Object service = loader.loadClass("NoNames").getConstructor().newInstance();
      assertThat(new ServiceMethods(service).methodsWithoutParameterNames()).containsExactly("greet");
    }
    assertThat(new ServiceMethods(new EchoService()).methodsWithoutParameterNames()).isEmpty();
  }
}
