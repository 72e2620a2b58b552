package io.github.nameko4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Output;
import io.github.nameko4j.cachetools.CachedRpcProxy;
import io.github.nameko4j.cachetools.KryoValueCodec;
import io.github.nameko4j.cachetools.internal.CacheKeys;
import io.github.nameko4j.cachetools.internal.Entry;
import io.github.nameko4j.cachetools.redis.RedisCacheStore;
import io.github.nameko4j.rpc.NamekoRpcClient;
import io.github.nameko4j.rpc.NamekoRpcServer;
import io.github.nameko4j.rpc.RemoteServiceException;
import io.github.nameko4j.testsupport.TestServices;
import io.github.nameko4j.testsupport.TestServicesExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bytes written straight into Redis under real keys, by someone else: each is a miss, the bad
 * entry is removed, and no class outside the allow-list is ever loaded or instantiated.
 */
@ExtendWith(TestServicesExtension.class)
class HostileStoreIT {

  @Test
  void randomTruncatedHugeAndForgedEntriesAreMissesAndAreRemoved(TestServices services) throws Throwable {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String ns = "hostile_" + id;
    Fixture.Counting target = new Fixture.Counting("hostile_" + id);
    RedisClient lettuce = RedisClient.create(services.redisUri());
    try (NamekoRpcServer server = NamekoRpcServer.builder().uri(services.amqpUri()).service(target.name, target).start();
        NamekoRpcClient client = NamekoRpcClient.builder().uri(services.amqpUri()).build();
        RedisCacheStore store = RedisCacheStore.builder(ns).uri(services.redisUri()).commandTimeout(Duration.ofSeconds(2)).build();
        StatefulRedisConnection<byte[], byte[]> redis = lettuce.connect(ByteArrayCodec.INSTANCE)) {
      CachedRpcProxy proxy = CachedRpcProxy.builder(client).service(target.name).store(store).build();
      byte[] key = ("nameko4j:" + ns + ":" + KryoValueCodec.create().id() + ":" + CacheKeys.derive(target.name, "echo", List.of("victim"), Map.of()))
          .getBytes(StandardCharsets.UTF_8);

      Map<String, Object> reply = new LinkedHashMap<>();
      for (int i = 0; i < 50; i++) {
        reply.put("k" + i, new ArrayList<>(List.of(i, "v" + i)));
      }
      byte[] valid = Entry.wrap(Long.MAX_VALUE, KryoValueCodec.create().encode(reply));
      byte[] random = new byte[300];
      new Random(7).nextBytes(random);
      byte[] huge = new byte[17 * 1024 * 1024]; // over the codec's 16 MiB limit
      Arrays.fill(huge, (byte) 7);
      huge[0] = 1;
      byte[] forged = forgedPayloadNamingTheProbe();
      System.clearProperty("nameko4j.it.probe.loaded");
      System.clearProperty("nameko4j.it.probe.constructed");

      Map<String, byte[]> hostile = new LinkedHashMap<>();
      hostile.put("random bytes", random);
      hostile.put("truncated entry", Arrays.copyOf(valid, valid.length / 2));
      hostile.put("huge entry", huge);
      hostile.put("forged class", Entry.wrap(Long.MAX_VALUE, forged));
      hostile.put("6 bytes claiming a 2^31-char string", Entry.wrap(Long.MAX_VALUE, hugeStringClaim()));
      hostile.put("lists nested 100,000 deep", Entry.wrap(Long.MAX_VALUE, nestedLists(100_000)));
      hostile.put("map of colliding list keys", Entry.wrap(Long.MAX_VALUE, collidingListKeys(2_000)));
      target.failing = true;
      for (Map.Entry<String, byte[]> bad : hostile.entrySet()) {
        redis.sync().set(key, bad.getValue());
        assertThatThrownBy(() -> proxy.call("echo", "victim")).as(bad.getKey()).isInstanceOf(RemoteServiceException.class);
        await(bad.getKey() + " removed").atMost(Duration.ofSeconds(3)).until(() -> redis.sync().exists(key) == 0);
      }
      assertThat(System.getProperty("nameko4j.it.probe.loaded")).as("probe initialized").isNull();
      assertThat(System.getProperty("nameko4j.it.probe.constructed")).as("probe constructed").isNull();
      assertThat(loaded("io.github.nameko4j.it.NeverLoadedStoreProbe")).as("probe class loaded").isFalse();

      // and the cache works again with a healthy service
      target.failing = false;
      assertThat(proxy.call("echo", "victim")).isEqualTo(List.of(target.name, "echo", "victim"));
      await().atMost(Duration.ofSeconds(3)).until(() -> redis.sync().exists(key) == 1);
      redis.sync().del(key);
    } finally {
      lettuce.shutdown();
      Fixture.deleteQueues(services.amqpUri(), target.name);
    }
  }

  /** Kryo's own String registration (id 1, unguarded serializer) announcing 2^31 - 2 characters. */
  private static byte[] hugeStringClaim() {
    Output out = new Output(16, -1);
    out.writeVarInt(1 + 2, true);
    out.writeVarIntFlag(true, Integer.MAX_VALUE, true); // 2^31 - 2 characters: more than any JVM array holds
    return out.toBytes();
  }

  /** An ArrayList holding an ArrayList holding ... {@code depth} times: 2 bytes a level. */
  private static byte[] nestedLists(int depth) {
    Output out = new Output(2 * depth + 16, -1);
    for (int i = 0; i < depth; i++) {
      out.writeVarInt(17 + 2, true);
      out.writeVarInt(1, true);
    }
    out.writeVarInt(0, true);
    return out.toBytes();
  }

  /** A HashMap whose keys are distinct two-element lists with one hash code (961), in the codec's format. */
  private static byte[] collidingListKeys(int n) {
    Output out = new Output(16 * n, -1);
    out.writeVarInt(19 + 2, true); // HashMap
    out.writeVarInt(n, true);
    for (int i = 0; i < n; i++) {
      out.writeVarInt(17 + 2, true); // key: ArrayList of two Integers, [i, -31 i]
      out.writeVarInt(2, true);
      out.writeVarInt(11 + 2, true);
      out.writeVarInt(i, false);
      out.writeVarInt(11 + 2, true);
      out.writeVarInt(-31 * i, false);
      out.writeVarInt(11 + 2, true); // value
      out.writeVarInt(i, false);
    }
    return out.toBytes();
  }

  /** A well-formed Kryo payload (class written by name) naming NeverLoadedStoreProbe, made without loading it. */
  private static byte[] forgedPayloadNamingTheProbe() {
    Kryo attacker = new Kryo();
    attacker.setRegistrationRequired(false);
    Output out = new Output(256, -1);
    attacker.writeClassAndObject(out, new PlainPayloadXXXXXXXXX());
    byte[] bytes = out.toBytes();
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("PlainPayloadXXXXXXXX");
    assertThat(at).isPositive();
    // Kryo ends an ASCII name by setting the last char's high bit: replace all but that char, then it.
    byte[] name = "NeverLoadedStoreProbe".getBytes(StandardCharsets.ISO_8859_1);
    System.arraycopy(name, 0, bytes, at, name.length - 1);
    bytes[at + name.length - 1] = (byte) (name[name.length - 1] | 0x80);
    return bytes;
  }

  private static boolean loaded(String name) throws Throwable {
    var lookup = MethodHandles.privateLookupIn(ClassLoader.class, MethodHandles.lookup());
    var find = lookup.findVirtual(ClassLoader.class, "findLoadedClass", MethodType.methodType(Class.class, String.class));
    return find.invoke(HostileStoreIT.class.getClassLoader(), name) != null;
  }
}
