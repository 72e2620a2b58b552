package io.github.nameko4j.spring;

import io.github.nameko4j.cachetools.Caching;
import io.github.nameko4j.rpc.BrokerSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * nameko4j's Spring Boot properties, under {@code nameko4j}. Service and method names are map
 * keys, matched ignoring case, {@code -} and {@code _}: {@code services[other_service]} (brackets
 * keep a key exactly as written) and {@code services.other-service} both name {@code
 * other_service}. Write one service's settings in one form: Spring binds two forms of one key as
 * two entries, and nameko4j applies both.
 */
@ConfigurationProperties("nameko4j")
public class Nameko4jProperties {
  private final Amqp amqp = new Amqp();
  private final Client client = new Client();
  private final Server server = new Server();
  private final Cache cache = new Cache();

  /** @return the broker settings */
  public Amqp getAmqp() {
    return amqp;
  }

  /** @return the RPC client's settings */
  public Client getClient() {
    return client;
  }

  /** @return the settings of hosted services */
  public Server getServer() {
    return server;
  }

  /** @return the cache settings */
  public Cache getCache() {
    return cache;
  }

  /** The broker. */
  public static class Amqp {
    /**
     * The broker, as nameko's AMQP_URI: amqp://, amqps:// or pyamqp://, several nodes separated by
     * ';'. Unset: built from spring.rabbitmq.* when any is set, else amqp://guest:guest@localhost:5672.
     */
    private String uri;
    /** AMQP heartbeat: a silently dead connection is replaced after about two. */
    private Duration heartbeat = Duration.ofSeconds(10);
    /** How long connecting may take. */
    private Duration connectTimeout = Duration.ofSeconds(10);
    /** Largest request sent, and reply read or sent; set it to the broker's max_message_size. */
    private DataSize maxMessageSize = DataSize.ofMegabytes(128);
    /** How service queues and durable event queues are declared: classic (as nameko) or quorum (survive a node). */
    private BrokerSettings.QueueType queueType = BrokerSettings.QueueType.CLASSIC;
    /** Which node of a ';'-separated list a connection tries first: shuffled (spread over the cluster) or as given. */
    private BrokerSettings.NodeOrder nodeOrder = BrokerSettings.NodeOrder.SHUFFLED;

    /** @return the queue type */
    public BrokerSettings.QueueType getQueueType() {
      return queueType;
    }

    /** @param queueType the queue type */
    public void setQueueType(BrokerSettings.QueueType queueType) {
      this.queueType = queueType;
    }

    /** @return the node order */
    public BrokerSettings.NodeOrder getNodeOrder() {
      return nodeOrder;
    }

    /** @param nodeOrder the node order */
    public void setNodeOrder(BrokerSettings.NodeOrder nodeOrder) {
      this.nodeOrder = nodeOrder;
    }

    /**
     * The broker settings these properties give, with {@code uri} resolved.
     *
     * @param uri the broker URI (from these properties or spring.rabbitmq.*)
     * @return the settings
     */
    public BrokerSettings toSettings(String uri) {
      return BrokerSettings.builder().uri(uri).heartbeat(heartbeat).connectTimeout(connectTimeout)
          .maxMessageSize((int) maxMessageSize.toBytes()).queueType(queueType).nodeOrder(nodeOrder).build();
    }

    /** @return the URI, or null */
    public String getUri() {
      return uri;
    }

    /** @param uri the broker URI */
    public void setUri(String uri) {
      this.uri = uri;
    }

    /** @return the heartbeat */
    public Duration getHeartbeat() {
      return heartbeat;
    }

    /** @param heartbeat the heartbeat */
    public void setHeartbeat(Duration heartbeat) {
      this.heartbeat = heartbeat;
    }

    /** @return the connect timeout */
    public Duration getConnectTimeout() {
      return connectTimeout;
    }

    /** @param connectTimeout the connect timeout */
    public void setConnectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    /** @return the message size limit */
    public DataSize getMaxMessageSize() {
      return maxMessageSize;
    }

    /** @param maxMessageSize the message size limit */
    public void setMaxMessageSize(DataSize maxMessageSize) {
      this.maxMessageSize = maxMessageSize;
    }
  }

  /** The RPC client every injected client shares. */
  public static class Client {
    /** How long a call waits for its reply. */
    private Duration callTimeout = Duration.ofSeconds(30);
    /** The caller's name in call ids and its reply queue's name; unset: spring.application.name. */
    private String callerName;
    /** Context data sent with calls made outside a service method (nameko.<key> headers). */
    private Map<String, String> contextData = new LinkedHashMap<>();

    /** @return the call timeout */
    public Duration getCallTimeout() {
      return callTimeout;
    }

    /** @param callTimeout the call timeout */
    public void setCallTimeout(Duration callTimeout) {
      this.callTimeout = callTimeout;
    }

    /** @return the caller name, or null */
    public String getCallerName() {
      return callerName;
    }

    /** @param callerName the caller name */
    public void setCallerName(String callerName) {
      this.callerName = callerName;
    }

    /** @return the context data */
    public Map<String, String> getContextData() {
      return contextData;
    }

    /** @param contextData the context data */
    public void setContextData(Map<String, String> contextData) {
      this.contextData = contextData;
    }
  }

  /** Hosted services ({@link NamekoService} beans). */
  public static class Server {
    /** Requests run at once per service, unless the service says otherwise. */
    private int maxWorkers = 10;
    /** Per-service settings, by service name. */
    private Map<String, Service> services = new LinkedHashMap<>();

    /** @return the default max workers */
    public int getMaxWorkers() {
      return maxWorkers;
    }

    /** @param maxWorkers the default max workers */
    public void setMaxWorkers(int maxWorkers) {
      this.maxWorkers = maxWorkers;
    }

    /** @return per-service settings */
    public Map<String, Service> getServices() {
      return services;
    }

    /** @param services per-service settings */
    public void setServices(Map<String, Service> services) {
      this.services = services;
    }

    /** One hosted service. */
    public static class Service {
      /** Requests run at once (nameko's max_workers); overrides the annotation. */
      private Integer maxWorkers;

      /** @return max workers, or null */
      public Integer getMaxWorkers() {
        return maxWorkers;
      }

      /** @param maxWorkers max workers */
      public void setMaxWorkers(Integer maxWorkers) {
        this.maxWorkers = maxWorkers;
      }
    }
  }

  /** The cache behind caching clients. */
  public static class Cache {
    /** Which store: auto (Redis when configured, else in process), redis, or in-memory. */
    private StoreKind store = StoreKind.AUTO;
    /** A lookup slower than this is a miss (for stores that do not bound their own latency). */
    private Duration storeTimeout = Duration.ofMillis(250);
    private final Redis redis = new Redis();
    /** Policies by target service name. */
    private Map<String, ServicePolicies> services = new LinkedHashMap<>();

    /** @return the store kind */
    public StoreKind getStore() {
      return store;
    }

    /** @param store the store kind */
    public void setStore(StoreKind store) {
      this.store = store;
    }

    /** @return the store timeout */
    public Duration getStoreTimeout() {
      return storeTimeout;
    }

    /** @param storeTimeout the store timeout */
    public void setStoreTimeout(Duration storeTimeout) {
      this.storeTimeout = storeTimeout;
    }

    /** @return the Redis settings */
    public Redis getRedis() {
      return redis;
    }

    /** @return policies by service */
    public Map<String, ServicePolicies> getServices() {
      return services;
    }

    /** @param services policies by service */
    public void setServices(Map<String, ServicePolicies> services) {
      this.services = services;
    }
  }

  /** Which cache store to build. */
  public enum StoreKind {
    /** Redis when nameko4j.cache.redis.uri or spring.data.redis.* is set, else in process. */
    AUTO,
    /** Redis; its URI is required. */
    REDIS,
    /** In process, per application instance. */
    IN_MEMORY
  }

  /** The Redis store. */
  public static class Redis {
    /** redis://, rediss:// or redis-sentinel:// URI; unset: built from spring.data.redis.* when set. */
    private String uri;
    /** Key namespace, shared by the replicas of this application; unset: spring.application.name. */
    private String namespace;
    /** Hard timeout of every command: no answer within it is a failure (towards opening the circuit). */
    private Duration commandTimeout = Duration.ofSeconds(1);
    /** Least read budget: how long a caller waits for a read before it is a miss for that caller. */
    private Duration readBudget = Duration.ofMillis(20);
    /** Greatest read budget, however slow recent reads were. */
    private Duration maxReadBudget = Duration.ofMillis(250);
    /** Redis expiry of entries whose policy has no ttl. */
    private Duration maxEntryLifetime = Duration.ofHours(24);
    /** Near cache entries; 0 turns the near cache off. */
    private long nearCacheMaxEntries;
    /** Longest a near-cache entry is kept. */
    private Duration nearCacheMaxAge = Duration.ofSeconds(30);

    /** @return the URI, or null */
    public String getUri() {
      return uri;
    }

    /** @param uri the URI */
    public void setUri(String uri) {
      this.uri = uri;
    }

    /** @return the namespace, or null */
    public String getNamespace() {
      return namespace;
    }

    /** @param namespace the namespace */
    public void setNamespace(String namespace) {
      this.namespace = namespace;
    }

    /** @return the hard timeout of every command */
    public Duration getCommandTimeout() {
      return commandTimeout;
    }

    /** @param commandTimeout the hard timeout of every command */
    public void setCommandTimeout(Duration commandTimeout) {
      this.commandTimeout = commandTimeout;
    }

    /** @return the least read budget */
    public Duration getReadBudget() {
      return readBudget;
    }

    /** @param readBudget the least read budget */
    public void setReadBudget(Duration readBudget) {
      this.readBudget = readBudget;
    }

    /** @return the greatest read budget */
    public Duration getMaxReadBudget() {
      return maxReadBudget;
    }

    /** @param maxReadBudget the greatest read budget */
    public void setMaxReadBudget(Duration maxReadBudget) {
      this.maxReadBudget = maxReadBudget;
    }

    /** @return the longest lifetime of an entry without ttl */
    public Duration getMaxEntryLifetime() {
      return maxEntryLifetime;
    }

    /** @param maxEntryLifetime the longest lifetime of an entry without ttl */
    public void setMaxEntryLifetime(Duration maxEntryLifetime) {
      this.maxEntryLifetime = maxEntryLifetime;
    }

    /** @return near cache size, 0 for none */
    public long getNearCacheMaxEntries() {
      return nearCacheMaxEntries;
    }

    /** @param nearCacheMaxEntries near cache size, 0 for none */
    public void setNearCacheMaxEntries(long nearCacheMaxEntries) {
      this.nearCacheMaxEntries = nearCacheMaxEntries;
    }

    /** @return near cache max age */
    public Duration getNearCacheMaxAge() {
      return nearCacheMaxAge;
    }

    /** @param nearCacheMaxAge near cache max age */
    public void setNearCacheMaxAge(Duration nearCacheMaxAge) {
      this.nearCacheMaxAge = nearCacheMaxAge;
    }
  }

  /** Cache policies of one target service. */
  public static class ServicePolicies {
    /** Which proxy clients of this service get; overrides the interface's @Caching(mode). */
    private Caching.Mode mode;
    /** Settings for every method of the service. */
    private Policy defaults = new Policy();
    /** Settings per method (nameko names), over the defaults. */
    private Map<String, Policy> methods = new LinkedHashMap<>();

    /** @return the mode, or null */
    public Caching.Mode getMode() {
      return mode;
    }

    /** @param mode the mode */
    public void setMode(Caching.Mode mode) {
      this.mode = mode;
    }

    /** @return the service-wide settings */
    public Policy getDefaults() {
      return defaults;
    }

    /** @param defaults the service-wide settings */
    public void setDefaults(Policy defaults) {
      this.defaults = defaults;
    }

    /** @return settings by method */
    public Map<String, Policy> getMethods() {
      return methods;
    }

    /** @param methods settings by method */
    public void setMethods(Map<String, Policy> methods) {
      this.methods = methods;
    }
  }

  /** Cache policy settings; unset ones keep what the annotations (or the defaults) say. */
  public static class Policy {
    /** How long a reply is fresh. */
    private Duration ttl;
    /** How much longer than the ttl a reply is kept for failover. */
    private Duration staleWindow;
    /** CachedRpcProxy: how long to wait for the service when a reply is cached (0: no limit). */
    private Duration failoverTimeout;
    /** CachedRpcProxy: after a fallback, answer from the cache at once for this long. */
    private Duration failSafeThrottle;
    /** CacheFirstRpcProxy: fraction of the ttl after which a hit refreshes in the background. */
    private Double refreshAhead;
    /** Context data keys the cache key varies on (e.g. auth_token). */
    private List<String> varyOnContext = new ArrayList<>();
    /** The most each entry's ttl is made longer by, at random. */
    private Duration ttlJitter;
    /** A field of the reply giving its entry's ttl in seconds (0: do not cache), e.g. max_age. */
    private String ttlFromField;

    /** @return the ttl jitter, or null */
    public Duration getTtlJitter() {
      return ttlJitter;
    }

    /** @param ttlJitter the ttl jitter */
    public void setTtlJitter(Duration ttlJitter) {
      this.ttlJitter = ttlJitter;
    }

    /** @return the reply field giving the ttl, or null */
    public String getTtlFromField() {
      return ttlFromField;
    }

    /** @param ttlFromField the reply field giving the ttl in seconds */
    public void setTtlFromField(String ttlFromField) {
      this.ttlFromField = ttlFromField;
    }

    /** @return the ttl, or null */
    public Duration getTtl() {
      return ttl;
    }

    /** @param ttl the ttl */
    public void setTtl(Duration ttl) {
      this.ttl = ttl;
    }

    /** @return the stale window, or null */
    public Duration getStaleWindow() {
      return staleWindow;
    }

    /** @param staleWindow the stale window */
    public void setStaleWindow(Duration staleWindow) {
      this.staleWindow = staleWindow;
    }

    /** @return the failover timeout, or null */
    public Duration getFailoverTimeout() {
      return failoverTimeout;
    }

    /** @param failoverTimeout the failover timeout */
    public void setFailoverTimeout(Duration failoverTimeout) {
      this.failoverTimeout = failoverTimeout;
    }

    /** @return the fail-safe throttle window, or null */
    public Duration getFailSafeThrottle() {
      return failSafeThrottle;
    }

    /** @param failSafeThrottle the fail-safe throttle window */
    public void setFailSafeThrottle(Duration failSafeThrottle) {
      this.failSafeThrottle = failSafeThrottle;
    }

    /** @return the refresh-ahead fraction, or null */
    public Double getRefreshAhead() {
      return refreshAhead;
    }

    /** @param refreshAhead the refresh-ahead fraction */
    public void setRefreshAhead(Double refreshAhead) {
      this.refreshAhead = refreshAhead;
    }

    /** @return the context keys */
    public List<String> getVaryOnContext() {
      return varyOnContext;
    }

    /** @param varyOnContext the context keys */
    public void setVaryOnContext(List<String> varyOnContext) {
      this.varyOnContext = varyOnContext;
    }
  }
}
