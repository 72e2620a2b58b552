package io.github.nameko4j.examples.spring;

import io.github.nameko4j.rpc.NamekoRpcClient;
import java.io.PrintStream;
import java.util.Map;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/** Once the services are served, calls {@code shop} as any nameko client would, and prints what happened. */
@Component
public class Story {
  private final NamekoRpcClient rpc;
  private final InventoryService inventory;
  private final PrintStream out = System.out;
  private volatile boolean told;

  public Story(NamekoRpcClient rpc, InventoryService inventory) {
    this.rpc = rpc;
    this.inventory = inventory;
  }

  /** After the services started serving (they start on the same event, first). */
  @EventListener(ApplicationReadyEvent.class)
  @Order(Ordered.LOWEST_PRECEDENCE)
  public void tell() {
    out.println();
    out.println("nameko4j Spring Boot example: shop calls inventory through a cached typed client (failover 300 ms)");
    out.println("1. inventory is healthy");
    show(rpc.call("shop", "availability", "kiwi"));
    show(rpc.call("shop", "availability", "kiwi"));
    out.println("2. inventory turns slow (2 s per answer)");
    inventory.delayMillis = 2000;
    show(rpc.call("shop", "availability", "kiwi"));
    inventory.delayMillis = 0;
    out.println("Spring closes the application: shop and inventory stop taking requests, finish running ones, then the client and the cache close.");
    told = true;
  }

  private void show(Object reply) {
    Map<?, ?> r = (Map<?, ?>) reply;
    out.printf("   shop.availability(\"kiwi\")  from %-7s %s%s%n", r.get("source"), r.get("stock"),
        r.get("because") == null ? "" : "  [" + r.get("because") + "]");
  }

  /** Whether the story ran to its end. */
  public boolean told() {
    return told;
  }
}
