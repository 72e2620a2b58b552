package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Every Java snippet of README.md and docs/ compiles against the library, so that examples cannot
 * rot. A snippet with {@code import} lines is a file of its own; any other is the body of a method
 * of a class whose fields ({@code rpc}, {@code client}, {@code store}...) it may use, with the
 * library's packages imported (local classes, interfaces and records are allowed in a method).
 */
class DocSnippetsTest {
  private static final Path ROOT = Path.of("..");
  private static final Pattern JAVA_BLOCK = Pattern.compile("(?m)^```java\\n(.*?)^```", Pattern.DOTALL);
  private static final Pattern PUBLIC_TYPE = Pattern.compile("(?m)^public (?:final |abstract )?(?:class|interface|record|enum) (\\w+)");
  private static final Pattern TOP_LEVEL_MODIFIERS =
      Pattern.compile("(?m)^(?:public |private |protected )?(?:static )?((?:final |abstract )?(?:@\\w+(?:\\([^)]*\\))? )*(?:class|interface|record|enum) )");

  private static final String IMPORTS = String.join("\n",
      "import io.github.nameko4j.cachetools.*;",
      "import io.github.nameko4j.cachetools.redis.*;",
      "import io.github.nameko4j.events.*;",
      "import io.github.nameko4j.rpc.*;",
      "import io.github.nameko4j.rpc.observation.*;",
      "import io.github.nameko4j.spring.*;",
      "import io.micrometer.observation.ObservationRegistry;",
      "import java.time.*;",
      "import java.util.*;",
      "import java.util.concurrent.*;",
      "import org.springframework.boot.SpringApplication;",
      "import org.springframework.boot.autoconfigure.SpringBootApplication;",
      "import org.springframework.context.annotation.Bean;",
      "import org.springframework.context.annotation.Configuration;");

  /** What a fragment may use without declaring it. */
  private static final String FIELDS = String.join("\n",
      "  NamekoRpcClient rpc;",
      "  NamekoRpcClient client;",
      "  NamekoRpcServer server;",
      "  CacheStore store;",
      "  RedisCacheStore redis;",
      "  ObservationRegistry registry;",
      "  ObservationRegistry observationRegistry;",
      "  String amqp;",
      "  String amqpUri;",
      "  String redisUri;");

  record Snippet(Path file, int line, String code) {
    String where() {
      return ROOT.relativize(file).toString().replace('\\', '/') + ":" + line;
    }
  }

  static List<Snippet> snippets() throws IOException {
    List<Path> files = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    List<Snippet> found = new ArrayList<>();
    for (Path f : files) {
      String text = Files.readString(f);
      Matcher m = JAVA_BLOCK.matcher(text);
      while (m.find()) {
        int line = (int) text.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 2;
        found.add(new Snippet(f, line, m.group(1)));
      }
    }
    return found;
  }

  private static final class Source extends SimpleJavaFileObject {
    final String code;
    final Snippet snippet;
    final int offset; // lines added before the snippet's first line

    Source(String className, String code, Snippet snippet, int offset) {
      super(URI.create("string:///" + className.replace('.', '/') + Kind.SOURCE.extension), Kind.SOURCE);
      this.code = code;
      this.snippet = snippet;
      this.offset = offset;
    }

    @Override
    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
      return code;
    }
  }

  static Source toSource(Snippet s, int n) {
    String pkg = "docsnippet" + n;
    if (s.code().contains("\nimport ") || s.code().startsWith("import ")) {
      Matcher type = PUBLIC_TYPE.matcher(s.code());
      String name = type.find() ? type.group(1) : "Snippet";
      return new Source(pkg + "." + name, "package " + pkg + ";\n" + s.code(), s, 1);
    }
    String head = "package " + pkg + ";\n" + IMPORTS + "\n@SuppressWarnings(\"all\")\nabstract class Snippet {\n" + FIELDS
        + "\n  void snippet() throws Exception {\n";
    String body = TOP_LEVEL_MODIFIERS.matcher(s.code()).replaceAll("$1");
    int offset = (int) head.chars().filter(c -> c == '\n').count();
    return new Source(pkg + ".Snippet", head + body + "\n  }\n}\n", s, offset);
  }

  @Test
  void everyJavaSnippetOfTheReadmeAndTheDocsCompiles() throws IOException {
    List<Snippet> snippets = snippets();
    assertThat(snippets).as("Java snippets in README.md and docs/").hasSizeGreaterThan(10);
    List<Source> sources = new ArrayList<>();
    for (int i = 0; i < snippets.size(); i++) {
      sources.add(toSource(snippets.get(i), i));
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    Path out = Files.createTempDirectory("doc-snippets");
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
      List<String> options = List.of("-classpath", System.getProperty("java.class.path"), "-d", out.toString(), "-proc:none",
          "-parameters", "-Xlint:none", "-nowarn");
      javac.getTask(new StringWriter(), files, diagnostics, options, null, sources).call();
    }
    List<String> errors = new ArrayList<>();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() == Diagnostic.Kind.ERROR && d.getSource() instanceof Source) {
        Source src = (Source) d.getSource();
        long line = src.snippet.line() + d.getLineNumber() - 1 - src.offset;
        errors.add(src.snippet.file().getFileName() + ":" + line + " (snippet at " + src.snippet.where() + "): "
            + d.getMessage(Locale.ROOT).replaceAll("\\s+", " "));
      } else if (d.getKind() == Diagnostic.Kind.ERROR) {
        errors.add(d.toString());
      }
    }
    assertThat(errors).as("compiler errors in documentation snippets").isEmpty();
  }
}
