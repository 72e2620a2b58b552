package io.github.nameko4j.cli;

import io.github.nameko4j.events.EventDispatcher;
import io.github.nameko4j.events.EventSubscriber;
import io.github.nameko4j.events.HandlerType;
import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.NamekoException;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.rpc.RpcTimeoutException;
import io.github.nameko4j.rpc.TransportException;
import io.github.nameko4j.rpc.UnknownServiceException;
import io.github.nameko4j.rpc.internal.Json;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code nameko-cli call SERVICE METHOD [ARGS_JSON] [--kwargs JSON] [--timeout SECONDS] [--amqp URI]}
 * <br>
 * {@code nameko-cli serve echo [--amqp URI] [--max-workers N]}
 * <br>
 * {@code nameko-cli dispatch SOURCE EVENT_TYPE [PAYLOAD_JSON] [--amqp URI]}
 * <br>
 * {@code nameko-cli listen SOURCE [EVENT_TYPE...] [--count N] [--timeout SECONDS] [--amqp URI]}
 */
public final class Main {
  static final int OK = 0;
  static final int REMOTE_ERROR = 1;
  static final int UNKNOWN_SERVICE = 2;
  static final int TIMEOUT = 3;
  static final int TRANSPORT = 4;
  static final int USAGE = 64;

  private static final String USAGE_TEXT =
      "usage:\n"
          + "  nameko-cli call SERVICE METHOD [ARGS_JSON] [--kwargs JSON] [--timeout SECONDS] [--amqp URI]\n"
          + "  nameko-cli serve echo [--amqp URI] [--max-workers N]\n"
          + "  nameko-cli dispatch SOURCE EVENT_TYPE [PAYLOAD_JSON] [--amqp URI]\n"
          + "  nameko-cli listen SOURCE [EVENT_TYPE...] [--count N] [--timeout SECONDS] [--amqp URI]\n"
          + "listen prints each event as a JSON line; EVENT_TYPE defaults to '#' (all), '*' and '#' are\n"
          + "wildcards; it hears copies on a private queue, taking no event from the services.\n"
          + "The broker is --amqp, else $AMQP_URI, else amqp://guest:guest@localhost:5672; nameko's\n"
          + "forms work: pyamqp://user:pass@host:5672//, several nodes separated by ';'.\n"
          + "Exit codes: 0 ok, 1 remote error, 2 unknown service, 3 timeout, 4 broker unreachable, 64 usage.";

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] argv, PrintStream out, PrintStream err) {
    List<String> positional = new ArrayList<>();
    String amqp = System.getenv("AMQP_URI");
    String kwargs = "{}";
    Duration timeout = NamekoRpcClient.DEFAULT_CALL_TIMEOUT;
    boolean timeoutGiven = false;
    int count = 0;
    int maxWorkers = NamekoRpcServer.DEFAULT_MAX_WORKERS;
    try {
      for (int i = 0; i < argv.length; i++) {
        switch (argv[i]) {
          case "--amqp":
            amqp = value(argv, ++i, "--amqp");
            break;
          case "--kwargs":
            kwargs = value(argv, ++i, "--kwargs");
            break;
          case "--timeout":
            String text = value(argv, ++i, "--timeout");
            double seconds = number("--timeout", text);
            if (!(seconds > 0) || seconds > 86_400) {
              throw new IllegalArgumentException("--timeout must be more than 0 and at most 86400 seconds, was '" + text + "'");
            }
            timeout = Duration.ofNanos((long) (seconds * 1e9));
            timeoutGiven = true;
            break;
          case "--count":
            String countText = value(argv, ++i, "--count");
            double c = number("--count", countText);
            if (c != Math.rint(c) || c < 1 || c > Integer.MAX_VALUE) {
              throw new IllegalArgumentException("--count must be a whole number of events from 1, was '" + countText + "'");
            }
            count = (int) c;
            break;
          case "--max-workers":
            String workers = value(argv, ++i, "--max-workers");
            double n = number("--max-workers", workers);
            if (n != Math.rint(n) || n < 1 || n > 10_000) {
              throw new IllegalArgumentException("--max-workers must be a whole number from 1 to 10000, was '" + workers + "'");
            }
            maxWorkers = (int) n;
            break;
          case "-h":
          case "--help":
            out.println(USAGE_TEXT);
            return OK;
          default:
            if (argv[i].startsWith("--")) {
              throw new IllegalArgumentException("unknown option " + argv[i]);
            }
            positional.add(argv[i]);
        }
      }
      if (amqp == null || amqp.isBlank()) {
        amqp = "amqp://guest:guest@localhost:5672";
      }
      if (positional.isEmpty()) {
        throw new IllegalArgumentException("a command is needed: call, serve, dispatch or listen");
      }
      if (count > 0 && !positional.get(0).equals("listen")) {
        throw new IllegalArgumentException("--count is an option of listen");
      }
      switch (positional.get(0)) {
        case "call":
          if (positional.size() < 3) {
            throw new IllegalArgumentException("call needs SERVICE and METHOD, e.g. call echo_java add '[1, 2]'");
          }
          if (positional.size() > 4) {
            throw new IllegalArgumentException("call takes SERVICE METHOD [ARGS_JSON]; unexpected '" + positional.get(4)
                + "' (quote the JSON as one argument)");
          }
          List<?> callArgs = positional.size() == 4 ? parseArgs(positional.get(3)) : List.of();
          Map<String, ?> callKwargs = parseKwargs(kwargs);
          NamekoRpcClient.builder().uri(amqp); // a bad URI is a usage error, named before anything connects
          return call(amqp, positional.get(1), positional.get(2), callArgs, callKwargs, timeout, out, err);
        case "serve":
          if (positional.size() != 2 || !positional.get(1).equals("echo")) {
            throw new IllegalArgumentException("serve knows one service: serve echo");
          }
          NamekoRpcServer.builder().uri(amqp);
          return serveEcho(amqp, maxWorkers, err);
        case "dispatch":
          if (positional.size() < 3 || positional.size() > 4) {
            throw new IllegalArgumentException("dispatch takes SOURCE EVENT_TYPE [PAYLOAD_JSON], e.g. dispatch products"
                + " product_updated '{\"id\": 42}' (quote the JSON as one argument)");
          }
          Object payload = positional.size() == 4 ? parseJson("PAYLOAD_JSON", positional.get(3)) : null;
          EventDispatcher.builder().uri(amqp).source(positional.get(1)); // usage errors before connecting
          return EventCommands.dispatch(amqp, positional.get(1), positional.get(2), payload, err);
        case "listen":
          if (positional.size() < 2) {
            throw new IllegalArgumentException("listen needs SOURCE, e.g. listen products product_updated");
          }
          List<String> types = positional.size() == 2 ? List.of("#") : positional.subList(2, positional.size());
          EventSubscriber.Builder check = EventSubscriber.builder().uri(amqp).service(EventCommands.LISTENER);
          types.forEach(type -> check.on(positional.get(1), type, HandlerType.BROADCAST, false, false, "listen", event -> { }));
          if (timeoutGiven && count == 0) {
            throw new IllegalArgumentException("listen --timeout needs --count: how many events to wait for");
          }
          return EventCommands.listen(amqp, positional.get(1), types, count, timeoutGiven ? timeout : null, out, err);
        default:
          throw new IllegalArgumentException("unknown command '" + positional.get(0) + "': call, serve, dispatch or listen");
      }
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println("(nameko-cli --help for usage)");
      return USAGE;
    }
  }

  private static double number(String flag, String text) {
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " must be a number, was '" + text + "'");
    }
  }

  private static String value(String[] argv, int i, String flag) {
    if (i >= argv.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return argv[i];
  }

  private static Object parseJson(String what, String json) {
    try {
      return Json.decode(json.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    } catch (CodecException e) {
      throw new IllegalArgumentException(what + " is not valid JSON: " + e.getMessage().replaceFirst("^invalid JSON: ", ""));
    }
  }

  /**
   * A JSON array is the argument list; a string, number, boolean or null is the single argument.
   * An object is refused: it is as likely meant as keyword arguments as one argument.
   */
  private static List<?> parseArgs(String json) {
    Object parsed = parseJson("ARGS_JSON", json);
    if (parsed instanceof Map) {
      throw new IllegalArgumentException("ARGS_JSON is a JSON object: give keyword arguments with --kwargs '" + json.trim()
          + "', or wrap it in a list ('[" + json.trim() + "]') to send it as one positional argument");
    }
    return parsed instanceof List ? (List<?>) parsed : Collections.singletonList(parsed);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, ?> parseKwargs(String json) {
    Object parsed = parseJson("--kwargs", json);
    if (!(parsed instanceof Map)) {
      throw new IllegalArgumentException("--kwargs must be a JSON object");
    }
    return (Map<String, ?>) parsed;
  }

  private static int call(String amqp, String service, String method, List<?> args, Map<String, ?> kwargs,
      Duration timeout, PrintStream out, PrintStream err) {
    try (NamekoRpcClient client = NamekoRpcClient.builder().uri(amqp).callTimeout(timeout)
        .connectTimeout(Duration.ofSeconds(5)).build()) {
      Object result = client.call(service, method, args, kwargs);
      printUtf8(out, Json.encodeReadable(result));
      return OK;
    } catch (RemoteServiceException e) {
      err.println(e.excType() + ": " + e.value());
      return REMOTE_ERROR;
    } catch (UnknownServiceException e) {
      err.println("UnknownService: " + e.getMessage());
      return UNKNOWN_SERVICE;
    } catch (RpcTimeoutException e) {
      err.println("RpcTimeout: " + e.getMessage());
      return TIMEOUT;
    } catch (TransportException e) {
      err.println("Transport: " + e.getMessage());
      return TRANSPORT;
    } catch (CodecException e) {
      err.println("error: " + e.getMessage());
      return USAGE;
    } catch (NamekoException e) {
      err.println(e.getClass().getSimpleName() + ": " + e.getMessage());
      return REMOTE_ERROR;
    }
  }

  /** One line of UTF-8, whatever the platform's default charset (Java 17 on a POSIX locale would print '?'). */
  static void printUtf8(PrintStream out, byte[] utf8) {
    out.write(utf8, 0, utf8.length);
    out.write('\n');
    out.flush();
  }

  private static int serveEcho(String amqp, int maxWorkers, PrintStream err) {
    NamekoRpcServer server;
    try {
      server = NamekoRpcServer.builder().uri(amqp).service("echo_java", new EchoJava()).maxWorkers(maxWorkers).start();
    } catch (TransportException e) {
      err.println("Transport: " + e.getMessage());
      return TRANSPORT;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop(Duration.ofSeconds(10));
      stopped.countDown();
    }, "nameko-cli-shutdown"));
    err.println("serving echo_java (echo, add, boom, slow) on " + server + "; stop with Ctrl-C or SIGTERM");
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return OK;
  }
}
