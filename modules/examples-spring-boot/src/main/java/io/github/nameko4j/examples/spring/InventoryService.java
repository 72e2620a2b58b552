package io.github.nameko4j.examples.spring;

import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.spring.NamekoService;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** The service {@code inventory}, hosted by this application; it can be made slow. */
@NamekoService("inventory")
public class InventoryService {
  private final AtomicInteger answers = new AtomicInteger();
  volatile long delayMillis;

  @Rpc
  public Map<String, Object> stock(String item) throws InterruptedException {
    long delay = delayMillis;
    if (delay > 0) {
      Thread.sleep(delay);
    }
    Map<String, Object> stock = new LinkedHashMap<>();
    stock.put("item", item);
    stock.put("units", 42);
    stock.put("answer", answers.incrementAndGet());
    return stock;
  }
}
