package io.github.nameko4j.cachetools.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.nameko4j.cachetools.Backend;
import io.github.nameko4j.cachetools.CacheFirstRpcProxy;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.testsupport.LogCapture;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Large entries are stored LZ4-compressed in Redis and read back intact; bombs and corrupt blocks are misses (issue 29). */
@ExtendWith(TestServicesExtension.class)
class CompressedEntriesIT {
  /** Compressed values begin so: magic, algorithm 1 (LZ4 block), original length. */
  private static final byte[] MAGIC = {0, 'N', '4', 'Z'};

  /**
   * Readers wait this long for Redis: the first read of a large entry on a new connection of a
   * busy machine may take longer than the default 20 ms budget, and then the service answers
   * (slow is not down). Here the entry itself is under test.
   */
  private static final Duration PATIENT = Duration.ofSeconds(2);

  private final String ns = "lz4_" + UUID.randomUUID().toString().substring(0, 8);
  private RedisClient lettuce;
  private StatefulRedisConnection<byte[], byte[]> redis;

  @BeforeEach
  void connect(TestServices services) {
    lettuce = RedisClient.create(services.redisUri());
    redis = lettuce.connect(ByteArrayCodec.INSTANCE);
  }

  @AfterEach
  void clean() {
    List<byte[]> keys = redis.sync().keys("nameko4j:" + ns + ":*");
    if (!keys.isEmpty()) {
      redis.sync().del(keys.toArray(new byte[0][]));
    }
    lettuce.shutdown();
  }

  /** A JSON-like reply of about {@code bytes}: records that repeat their field names, as real replies do. */
  static List<Object> jsonLike(int bytes) {
    List<Object> rows = new ArrayList<>();
    for (int i = 0, size = 0; size < bytes; i++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", i);
      row.put("sku", "SKU-" + (100_000 + i));
      row.put("name", "Product number " + i + " of the catalogue");
      row.put("price_cents", 1000 + (i * 37) % 9000);
      row.put("in_stock", i % 3 != 0);
      rows.add(row);
      size += 100;
    }
    return rows;
  }

  private byte[] onlyEntryKey() {
    List<byte[]> keys = new ArrayList<>();
    for (byte[] k : redis.sync().keys("nameko4j:" + ns + ":*")) {
      String s = new String(k, StandardCharsets.UTF_8);
      if (!s.endsWith(":stamps") && !s.contains("invalidations") && !s.contains(":scope")) {
        keys.add(k);
      }
    }
    assertThat(keys).hasSize(1);
    return keys.get(0);
  }

  @Test
  void aOneMegabyteReplyIsStoredSmallerAndReadBackIntact(TestServices services) {
    List<Object> reply = jsonLike(1_000_000);
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore writer = RedisCacheStore.builder(ns).uri(services.redisUri()).build();
        RedisCacheStore plainReader = RedisCacheStore.builder(ns).uri(services.redisUri()).noCompression()
            .readBudget(PATIENT).maxReadBudget(PATIENT).build()) {
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(writer).build();
      assertThat(proxy.call("echo", reply)).isEqualTo(reply);
      proxy.close();
      byte[] stored = redis.sync().get(onlyEntryKey());
      assertThat(stored).startsWith(MAGIC);
      assertThat(stored.length).isLessThan(250_000); // the Kryo payload is ~1 MB

      // Another replica, even one with compression off, reads it intact from Redis.
      CacheFirstRpcProxy other = CacheFirstRpcProxy.builder(client).service(backend.name).store(plainReader).build();
      assertThat(other.call("echo", reply)).isEqualTo(reply);
      assertThat(backend.calls("echo")).isEqualTo(1);
    }
  }

  @Test
  void smallRepliesAndEntriesWrittenUncompressedStayAsTheyAre(TestServices services) {
    List<Object> big = jsonLike(100_000);
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore oldWriter = RedisCacheStore.builder(ns).uri(services.redisUri()).noCompression().build();
        RedisCacheStore reader = RedisCacheStore.builder(ns).uri(services.redisUri()).readBudget(PATIENT).maxReadBudget(PATIENT).build()) {
      CacheFirstRpcProxy old = CacheFirstRpcProxy.builder(client).service(backend.name).store(oldWriter).build();
      assertThat(old.call("echo", big)).isEqualTo(big);
      old.close();
      byte[] stored = redis.sync().get(onlyEntryKey());
      assertThat(stored[0]).isEqualTo((byte) 2); // an entry as written before compression existed
      assertThat(stored.length).isGreaterThan(90_000);
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(reader).build();
      assertThat(proxy.call("echo", big)).isEqualTo(big);
      assertThat(backend.calls("echo")).isEqualTo(1);

      assertThat(proxy.call("echo", "small")).isEqualTo("small");
      proxy.close();
      for (byte[] k : redis.sync().keys("nameko4j:" + ns + ":*")) {
        byte[] v = redis.sync().get(k);
        if (v != null && v.length < 1000 && v.length > 0 && v[0] == 2) {
          return; // the small reply's entry, uncompressed
        }
      }
      throw new AssertionError("the small reply's entry was not stored as it is");
    }
  }

  /** One call through a proxy of its own, closed once it answered (so its write is done). */
  private static Object callOnce(NamekoRpcClient client, Backend backend, RedisCacheStore store) {
    try (CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build()) {
      return proxy.call("stamp", "x");
    }
  }

  @Test
  void aDecompressionBombOrACorruptBlockIsAMissNeverAnOutOfMemoryError(TestServices services) {
    try (Backend backend = new Backend(services.amqpUri());
        NamekoRpcClient client = Backend.client(services.amqpUri());
        RedisCacheStore store = RedisCacheStore.builder(ns).uri(services.redisUri()).maxValueBytes(1 << 20)
            .readBudget(PATIENT).maxReadBudget(PATIENT).build();
        LogCapture log = LogCapture.start()) {
      CacheFirstRpcProxy proxy = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build();
      assertThat(proxy.call("stamp", "x")).isEqualTo(List.of("x", 1));
      proxy.close();
      byte[] key = onlyEntryKey();

      // A real bomb: 64 MiB of zeros compress to ~250 KB; it claims 64 MiB, over the 1 MiB limit.
      byte[] zeros = new byte[64 << 20];
      byte[] block = LZ4Factory.safeInstance().fastCompressor().compress(zeros);
      redis.sync().set(key, ByteBuffer.allocate(9 + block.length).put(MAGIC).put((byte) 1).putInt(zeros.length).put(block).array());
      CacheFirstRpcProxy reader = CacheFirstRpcProxy.builder(client).service(backend.name).store(store).build();
      assertThat(reader.call("stamp", "x")).isEqualTo(List.of("x", 2)); // a miss: the service answered
      reader.close(); // its write of the service's reply is done: the next value set here stays
      // Refused for what it claims, before anything of that size was allocated.
      assertThat(log.messages("WARN", "claims 67108864 bytes, over the limit of 1048576")).hasSize(1);

      // Lies about its length, within the limit: the block does not decompress to what it claims.
      redis.sync().set(key, ByteBuffer.allocate(9 + 40).put(MAGIC).put((byte) 1).putInt(1000).put(new byte[40]).array());
      assertThat(callOnce(client, backend, store)).isEqualTo(List.of("x", 3));
      // An algorithm this version does not know.
      redis.sync().set(key, ByteBuffer.allocate(9 + 4).put(MAGIC).put((byte) 9).putInt(4).put(new byte[4]).array());
      assertThat(callOnce(client, backend, store)).isEqualTo(List.of("x", 4));
      // Each bad value was dropped and replaced by the service's reply, which answers again.
      assertThat(callOnce(client, backend, store)).isEqualTo(List.of("x", 4));
    }
  }
}
