package io.github.nameko4j.cachetools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import io.github.nameko4j.cachetools.internal.SafeKryo;
import io.github.nameko4j.rpc.CodecException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class KryoValueCodecTest {
  private final KryoValueCodec codec = KryoValueCodec.create();

  static Map<String, Object> nestedReply(int entries) {
    Map<String, Object> reply = new LinkedHashMap<>();
    for (int i = 0; i < entries; i++) {
      Map<String, Object> inner = new LinkedHashMap<>();
      inner.put("id", i);
      inner.put("score", i / 3.0);
      inner.put("tuple", new ArrayList<>(List.of(i, "x" + i, 1.5)));
      inner.put("big", BigInteger.TWO.pow(70).add(BigInteger.valueOf(i)));
      inner.put("none", null);
      reply.put(String.valueOf(i), inner);
    }
    return reply;
  }

  @Test
  void roundTripsEveryShapeAJsonReplyCanTake() {
    Map<String, Object> reply = nestedReply(400);
    reply.put("when", LocalDateTime.of(2024, 1, 2, 3, 4, 5));
    reply.put("decimal", new BigDecimal("1.10"));
    reply.put("uuid", UUID.randomUUID());
    reply.put("long", Long.MAX_VALUE);
    reply.put("bool", true);
    reply.put("nan", Double.NaN);
    assertThat(codec.decode(codec.encode(reply))).isEqualTo(reply);
    assertThat(codec.decode(codec.encode(null))).isNull();
    assertThat(codec.decode(codec.encode("héllo 😀"))).isEqualTo("héllo 😀");
  }

  @Test
  void refusesToEncodeClassesThatAreNotAllowed() {
    assertThatThrownBy(() -> codec.encode(new RecordsInstantiation()))
        .isInstanceOf(CodecException.class).hasMessageContaining("RecordsInstantiation");
    assertThatThrownBy(() -> codec.encode(List.of(1, 2)))
        .isInstanceOf(CodecException.class).hasMessageContaining("ImmutableCollections");
  }

  @Test
  void aPayloadNamingAClassOutsideTheAllowListNeverLoadsOrInstantiatesIt() throws Throwable {
    // Forge what an attacker with store access could write: an unregistered class, by name.
    Kryo attacker = new Kryo();
    attacker.setRegistrationRequired(false);
    Output out = new Output(256, -1);
    attacker.writeClassAndObject(out, new RecordsInstantiation());
    byte[] forged = out.toBytes();
    String text = new String(forged, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("RecordsInstantiatio");
    assertThat(at).isPositive();
    // Same length, so the payload stays well-formed, now naming a class this JVM never loaded.
    System.arraycopy("NeverLoadedProbeXYZ".getBytes(StandardCharsets.ISO_8859_1), 0, forged, at, 19);
    System.clearProperty("nameko4j.probe.loaded");
    System.clearProperty("nameko4j.probe.constructed");

    for (KryoValueCodec c : List.of(codec, KryoValueCodec.builder().allowPackage("com.example.dto").build())) {
      assertThatThrownBy(() -> c.decode(forged)).isInstanceOf(CodecException.class).hasMessageContaining("not allowed");
    }
    assertThat(System.getProperty("nameko4j.probe.loaded")).as("probe class initialized").isNull();
    // Not even loaded without initialization: ask the JVM whether any class loader holds it.
    assertThat(loadedAnywhere("io.github.nameko4j.cachetools.NeverLoadedProbeXYZn")).as("probe class loaded").isFalse();
    assertThat(System.getProperty("nameko4j.probe.constructed")).as("probe class constructed").isNull();

    // The probe works: a permissive Kryo reading the same bytes loads and builds it.
    Kryo permissive = new Kryo();
    permissive.setRegistrationRequired(false);
    Object built = permissive.readClassAndObject(new Input(forged));
    assertThat(built.getClass().getSimpleName()).isEqualTo("NeverLoadedProbeXYZn");
    assertThat(System.getProperty("nameko4j.probe.loaded")).isEqualTo("true");
    assertThat(System.getProperty("nameko4j.probe.constructed")).isEqualTo("true");
  }

  /** True when the application class loader (or Kryo's, the same here) has loaded the class. */
  private static boolean loadedAnywhere(String name) throws Throwable {
    ClassLoader app = KryoValueCodecTest.class.getClassLoader();
    MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(ClassLoader.class, MethodHandles.lookup());
    MethodHandle find = lookup.findVirtual(ClassLoader.class, "findLoadedClass", MethodType.methodType(Class.class, String.class));
    return find.invoke(app, name) != null;
  }

  @Test
  void registeredAndAllowedClassesRoundTrip() {
    KryoValueCodec withUser = KryoValueCodec.builder().register(RecordsInstantiation.class).build();
    RecordsInstantiation value = new RecordsInstantiation();
    value.payload = "fine";
    assertThat(((RecordsInstantiation) withUser.decode(withUser.encode(value))).payload).isEqualTo("fine");
    assertThat(withUser.id()).isNotEqualTo(codec.id()).startsWith("kryo2-");
  }

  @Test
  void randomTruncatedAndForgedBytesAreCodecErrorsNotCrashes() {
    byte[] good = codec.encode(nestedReply(20));
    Random random = new Random(42);
    int rejected = 0;
    for (int i = 0; i < 500; i++) {
      byte[] junk = new byte[1 + random.nextInt(200)];
      random.nextBytes(junk);
      try {
        codec.decode(junk);
      } catch (CodecException e) {
        rejected++;
      }
    }
    assertThat(rejected).isGreaterThan(450); // a few random inputs can be valid small values
    for (int cut = 1; cut < good.length; cut += 7) {
      byte[] truncated = Arrays.copyOf(good, cut);
      assertThatThrownBy(() -> codec.decode(truncated)).isInstanceOf(CodecException.class);
    }
    // An ArrayList (id 17, written +2) claiming 2^31-1 elements in five bytes.
    byte[] hugeList = {19, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07};
    assertThatThrownBy(() -> codec.decode(hugeList)).isInstanceOf(CodecException.class).hasMessageContaining("exceeds");
    // A String (id 10) claiming 2^31-1 bytes.
    byte[] hugeString = {12, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07};
    assertThatThrownBy(() -> codec.decode(hugeString)).isInstanceOf(CodecException.class).hasMessageContaining("exceeds");
  }

  @Test
  void valuesOverTheSizeLimitAreRefusedBothWays() {
    KryoValueCodec small = KryoValueCodec.builder().maxBytes(1024).build();
    assertThatThrownBy(() -> small.encode("x".repeat(5000))).isInstanceOf(CodecException.class);
    assertThatThrownBy(() -> small.decode(new byte[2048])).isInstanceOf(CodecException.class).hasMessageContaining("exceeds the limit");
  }

  @Test
  void allowPackageRefusesJdkPackages() {
    assertThatThrownBy(() -> KryoValueCodec.builder().allowPackage("java.util"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JDK");
  }

  /** Bytes in the codec's own format, written without its checks, as an attacker with Redis access could. */
  static byte[] unchecked(Object value) {
    Kryo kryo = new Kryo();
    kryo.setReferences(false);
    kryo.register(String.class, new SafeKryo.StringSerializer(), 10);
    kryo.register(Integer.class, new DefaultSerializers.IntSerializer(), 11);
    kryo.register(ArrayList.class, new SafeKryo.ListSerializer(), 17);
    kryo.register(HashMap.class, new SafeKryo.MapSerializer(false, t -> true), 19);
    Output out = new Output(1024, -1);
    kryo.writeClassAndObject(out, value);
    return out.toBytes();
  }

  /** Distinct lists with one hash code: a hash map of n of them takes time quadratic in n to build. */
  static HashMap<Object, Object> collidingKeys(int n) {
    HashMap<Object, Object> map = new HashMap<>();
    for (int i = 0; i < n; i++) {
      map.put(new ArrayList<>(List.of(i, -31 * i)), i); // hashCode 31 * (31 + i) - 31 * i = 961
    }
    return map;
  }

  @Test
  void aSevenByteEntryClaimingAHugeStringIsRefusedBeforeAllocating() {
    Output out = new Output(16, -1);
    out.writeVarInt(1 + 2, true); // Kryo's own String registration, id 1, with its unguarded serializer
    out.writeVarIntFlag(true, Integer.MAX_VALUE, true); // 2^31 - 2 characters follow, supposedly
    byte[] bytes = out.toBytes();
    assertThat(bytes.length).isLessThanOrEqualTo(7);
    assertThatThrownBy(() -> codec.decode(bytes)).isInstanceOf(CodecException.class).hasMessageContaining("class id 1 is not allowed");
  }

  @Test
  void everyOneOfKryosDefaultRegistrationsIsRefused() {
    for (int id = 0; id < 10; id++) {
      Output out = new Output(16, -1);
      out.writeVarInt(id + 2, true);
      out.writeInt(42);
      byte[] bytes = out.toBytes();
      int shown = id;
      assertThatThrownBy(() -> codec.decode(bytes)).as("id %d", shown).isInstanceOf(CodecException.class);
    }
    // what the codec writes itself never uses them
    List<Object> boxed = new ArrayList<>(List.of(1, 2L, 3.0, true, 'c', (short) 4, (byte) 5, 6f, "s"));
    assertThat(codec.decode(codec.encode(boxed))).isEqualTo(boxed);
  }

  @Test
  void listsNestedDeeperThanTheLimitAreRefusedWithoutExhaustingTheStack() {
    Output out = new Output(256 * 1024, -1);
    for (int i = 0; i < 100_000; i++) {
      out.writeVarInt(17 + 2, true); // an ArrayList
      out.writeVarInt(1, true); // of one element
    }
    out.writeVarInt(0, true); // null, at the bottom
    byte[] bytes = out.toBytes();
    assertThatThrownBy(() -> codec.decode(bytes)).isInstanceOf(CodecException.class).hasMessageContaining("nested deeper than");
    List<Object> deep = new ArrayList<>();
    List<Object> at = deep;
    for (int i = 0; i < 300; i++) {
      List<Object> next = new ArrayList<>();
      at.add(next);
      at = next;
    }
    assertThatThrownBy(() -> codec.encode(deep)).isInstanceOf(CodecException.class); // returned uncached, never stored
    assertThat(codec.decode(codec.encode(nestedReply(3)))).isEqualTo(nestedReply(3)); // ordinary depth is fine
  }

  @Test
  void mapKeysOfTypesThatCollideInQuadraticTimeAreRefusedAtOnce() {
    // (30,000 such keys, 400 KB, took 10 s to decode; refused now at the first key)
    byte[] bytes = unchecked(collidingKeys(2_000));
    assertThatThrownBy(() -> codec.decode(bytes)).isInstanceOf(CodecException.class)
        .hasMessageContaining("map key of type java.util.ArrayList is not allowed");
    assertThatThrownBy(() -> codec.encode(collidingKeys(2))).isInstanceOf(CodecException.class);
    Map<Object, Object> jsonLike = new LinkedHashMap<>();
    jsonLike.put("a", 1);
    jsonLike.put("b", new ArrayList<>(List.of(2)));
    assertThat(codec.decode(codec.encode(jsonLike))).isEqualTo(jsonLike);
  }
}
