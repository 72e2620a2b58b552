package io.github.nameko4j.examples.spring;

import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.spring.NamekoService;
import java.util.LinkedHashMap;
import java.util.Map;

/** The service {@code shop}: answers from {@code inventory}, through the cache when it must. */
@NamekoService("shop")
public class ShopService {
  private final Inventory inventory;

  public ShopService(Inventory inventory) {
    this.inventory = inventory;
  }

  @Rpc
  public Map<String, Object> availability(String item) {
    CachedReply reply = inventory.stock(item);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("stock", reply.value());
    out.put("source", reply.source().name().toLowerCase());
    reply.fallbackCause().ifPresent(cause -> out.put("because", cause.getClass().getSimpleName()));
    return out;
  }
}
