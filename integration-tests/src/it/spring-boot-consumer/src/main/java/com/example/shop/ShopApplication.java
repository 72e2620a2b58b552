package com.example.shop;

import io.github.nameko4j.rpc.Rpc;
import io.github.nameko4j.rpc.RpcService;
import io.github.nameko4j.spring.EnableNamekoClients;
import io.github.nameko4j.spring.NamekoService;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** docs/spring-boot.md's example, cut down: a hosted service and an injected client of it. */
@SpringBootApplication
@EnableNamekoClients
public class ShopApplication {

  @NamekoService("${shop.service}")
  public static class Greeter {
    @Rpc
    public String hello(String name) {
      return "hello " + name;
    }
  }

  @RpcService("${shop.service}")
  public interface GreeterClient {
    String hello(String name);
  }

  public static void main(String[] args) {
    SpringApplication.run(ShopApplication.class, args);
  }
}
