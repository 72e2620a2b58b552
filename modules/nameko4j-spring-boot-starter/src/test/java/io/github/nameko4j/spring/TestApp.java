package io.github.nameko4j.spring;

import io.github.nameko4j.cachetools.Caching;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.rpc.RpcService;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The application the starter's tests run: hosts a greeter, calls it and an inventory through clients. */
@SpringBootApplication
@EnableNamekoClients
public class TestApp {

  /** Hosted by the application; its name comes from the test's properties. */
  @NamekoService(value = "${test.greeter}", maxWorkers = 4)
  public static class Greeter {
    final Set<String> started = ConcurrentHashMap.newKeySet();
    final Set<String> handled = ConcurrentHashMap.newKeySet();

    @Rpc
    public String hello(String name) {
      return "hello " + name;
    }

    @Rpc
    public String slow(double seconds, String x) throws InterruptedException {
      started.add(x);
      Thread.sleep((long) (seconds * 1000));
      handled.add(x);
      return "slow " + x;
    }
  }

  /** A plain client of the hosted greeter. */
  @RpcService("${test.greeter}")
  public interface GreeterClient {
    String hello(String name);
  }

  /** A caching client of an inventory hosted elsewhere. */
  @RpcService("${test.inventory}")
  @Caching(mode = Caching.Mode.CACHED, failoverTimeout = "300ms")
  public interface InventoryClient {
    List<Object> stamp(String item);
  }

  /** Cache-first, with its ttl from the test's properties only. */
  @RpcService("${test.inventory}")
  @Caching(mode = Caching.Mode.CACHE_FIRST)
  public interface InventoryLookups {
    List<Object> stamp(String item);

    Map<String, Object> other(String item);
  }
}
