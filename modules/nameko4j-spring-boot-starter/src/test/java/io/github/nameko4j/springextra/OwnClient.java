package io.github.nameko4j.springextra;

import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.TestServices;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** An application's own RPC client: the starter must use it and create none. */
@Configuration(proxyBeanMethods = false)
public class OwnClient {
  @Bean(destroyMethod = "close")
  NamekoRpcClient myClient() {
    return NamekoRpcClient.builder().uri(TestServices.get().amqpUri()).callerName("my_own_client").build();
  }
}
