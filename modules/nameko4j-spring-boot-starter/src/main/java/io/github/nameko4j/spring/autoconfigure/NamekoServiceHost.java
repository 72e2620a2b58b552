package io.github.nameko4j.spring.autoconfigure;

import io.github.nameko4j.rpc.BrokerSettings;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.spring.Nameko4jProperties;
import io.github.nameko4j.spring.NamekoService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Hosts every {@link NamekoService} bean: starts serving once the application is ready (not
 * before: a request must not reach a half-started application), and on shutdown stops taking
 * requests and lets running ones finish within Spring's graceful-shutdown phase ({@code
 * spring.lifecycle.timeout-per-shutdown-phase}); requests cut short go back to the queue for
 * another replica. Runs in the same phase as a web server's graceful shutdown, before any bean
 * (RPC client, cache store) is destroyed.
 */
public class NamekoServiceHost implements SmartLifecycle, ApplicationListener<ApplicationReadyEvent>, Ordered {
  private static final Logger LOG = LoggerFactory.getLogger(NamekoServiceHost.class);
  /** As Spring Boot's web server graceful shutdown. */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1024;

  private final ApplicationContext context;
  private final Environment environment;
  private final Nameko4jProperties properties;
  private final BrokerSettings broker;
  private final List<NamekoRpcServer> servers = new ArrayList<>();
  private volatile boolean running;

  NamekoServiceHost(ApplicationContext context, Environment environment, Nameko4jProperties properties, BrokerSettings broker) {
    this.context = context;
    this.environment = environment;
    this.properties = properties;
    this.broker = broker;
  }

  @Override
  public void start() {
    running = true;
  }

  @Override
  public void onApplicationEvent(ApplicationReadyEvent event) {
    if (event.getApplicationContext() != context || !servers.isEmpty()) {
      return;
    }
    synchronized (servers) {
      for (Map.Entry<String, Object> e : context.getBeansWithAnnotation(NamekoService.class).entrySet()) {
        Object bean = e.getValue();
        NamekoService annotation = AopUtils.getTargetClass(bean).getAnnotation(NamekoService.class);
        if (annotation == null) {
          continue;
        }
        String name = environment.resolveRequiredPlaceholders(annotation.value());
        NamekoRpcServer.Builder server = NamekoRpcServer.builder()
            .broker(broker)
            .service(name, bean)
            .maxWorkers(maxWorkers(name, annotation));
        Observations.apply(context, server);
        servers.add(server.start());
      }
    }
  }

  private int maxWorkers(String service, NamekoService annotation) {
    Nameko4jProperties.Server.Service configured = PolicyResolver.find(properties.getServer().getServices(), service);
    if (configured != null && configured.getMaxWorkers() != null) {
      return configured.getMaxWorkers();
    }
    return annotation.maxWorkers() > 0 ? annotation.maxWorkers() : properties.getServer().getMaxWorkers();
  }

  /** The servers started, for health and tests. */
  public List<NamekoRpcServer> servers() {
    synchronized (servers) {
      return List.copyOf(servers);
    }
  }

  @Override
  public void stop() {
    stopServers();
  }

  @Override
  public void stop(Runnable callback) {
    // Off the caller's thread: Spring waits for the callback up to the phase's timeout.
    Thread t = new Thread(() -> {
      try {
        stopServers();
      } finally {
        callback.run();
      }
    }, "nameko4j-graceful-shutdown");
    t.setDaemon(true);
    t.start();
  }

  private void stopServers() {
    running = false;
    List<NamekoRpcServer> toStop;
    synchronized (servers) {
      toStop = List.copyOf(servers);
      servers.clear();
    }
    Duration phase = environment.getProperty("spring.lifecycle.timeout-per-shutdown-phase", Duration.class, Duration.ofSeconds(30));
    // Leave a moment of the phase for disconnecting.
    Duration grace = phase.compareTo(Duration.ofSeconds(2)) > 0 ? phase.minusSeconds(1) : phase.dividedBy(2);
    // All at once, each on a thread of its own: every service gets the whole grace period.
    List<Thread> stopping = new ArrayList<>();
    for (NamekoRpcServer server : toStop) {
      Thread t = new Thread(() -> server.stop(grace), "nameko4j-stop-" + server.service());
      t.start();
      stopping.add(t);
    }
    for (Thread t : stopping) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    if (!toStop.isEmpty()) {
      LOG.info("nameko services stopped: {}", toStop.stream().map(NamekoRpcServer::service).toList());
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  /** First among the listeners of the ready event: the application's own listeners may call the services. */
  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE + 100;
  }
}
