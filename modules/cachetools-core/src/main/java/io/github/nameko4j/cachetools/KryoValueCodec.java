package io.github.nameko4j.cachetools;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import com.esotericsoftware.kryo.util.MapReferenceResolver;
import io.github.nameko4j.cachetools.internal.KryoWorkers;
import io.github.nameko4j.cachetools.internal.SafeKryo;
import io.github.nameko4j.rpc.CodecException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * The default {@link ValueCodec}: Kryo with class registration, pooled (Kryo itself is not
 * thread-safe; this codec is).
 *
 * <p>Allowed out of the box: what a nameko JSON reply decodes to ({@code String}, boxed numbers,
 * {@code BigInteger}, {@code BigDecimal}, {@code Boolean}, {@code ArrayList}, {@code HashMap},
 * {@code LinkedHashMap}, {@code byte[]}) and the {@code java.time} and {@code UUID} values of
 * kombu's tagged JSON. Anything else must be registered, or its package allowed; decoding bytes
 * that name any other class fails before the class is loaded, and so never instantiates it.
 *
 * <p>All replicas sharing a store must register the same classes in the same order: the order
 * sets Kryo's class ids, and {@link #id()} includes a checksum of it, so replicas that disagree
 * use different keys instead of misreading each other.
 */
public final class KryoValueCodec implements ValueCodec {
  static {
    // On Java 24 and later the JVM prints a warning the first time anything calls the
    // sun.misc.Unsafe memory methods, which Kryo's unsafe utilities do as soon as Kryo's Util
    // class loads. This codec uses none of Kryo's unsafe streams, and its fields are read by
    // reflection as well, so Kryo's unsafe support is turned off unless the application chose.
    if (Runtime.version().feature() >= 24 && System.getProperty("kryo.unsafe") == null) {
      System.setProperty("kryo.unsafe", "false");
    }
  }

  /** Default limit on one encoded value. */
  public static final int DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

  private static final int FIRST_USER_ID = 100;

  private final List<Class<?>> registered;
  private final List<String> allowedPackages;
  private final int maxBytes;
  private final String id;
  private final KryoWorkers workers;

  private KryoValueCodec(Builder b) {
    this.registered = List.copyOf(b.registered);
    this.allowedPackages = List.copyOf(b.allowedPackages);
    this.maxBytes = b.maxBytes;
    CRC32 crc = new CRC32();
    for (Class<?> c : registered) {
      crc.update(c.getName().getBytes(StandardCharsets.UTF_8));
    }
    for (String p : allowedPackages) {
      crc.update(p.getBytes(StandardCharsets.UTF_8));
    }
    // kryo2: lists and maps in our own bounded format
    this.id = "kryo2" + (registered.isEmpty() && allowedPackages.isEmpty() ? "" : "-" + Long.toHexString(crc.getValue()));
    this.workers = new KryoWorkers(this::newKryo, maxBytes);
  }

  /** A codec allowing only the built-in types. */
  public static KryoValueCodec create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  private Kryo newKryo() {
    Set<String> names = new HashSet<>();
    for (Class<?> c : registered) {
      names.add(c.getName());
    }
    SafeKryo.AllowListClassLoader loader =
        new SafeKryo.AllowListClassLoader(KryoValueCodec.class.getClassLoader(), names, allowedPackages);
    Kryo kryo = new Kryo(new SafeKryo.AllowListResolver(loader), new MapReferenceResolver());
    kryo.setClassLoader(loader);
    kryo.setRegistrationRequired(allowedPackages.isEmpty());
    kryo.setReferences(false); // reply values are JSON trees: no shared or cyclic references
    // Fixed ids: they must be the same in every JVM that shares a store.
    kryo.register(String.class, new SafeKryo.StringSerializer(), 10);
    // Boxed numbers need explicit serializers: register(type, id) keeps Kryo's primitive
    // registrations (ids 0-8), which the resolver refuses to read.
    kryo.register(Integer.class, new DefaultSerializers.IntSerializer(), 11);
    kryo.register(Long.class, new DefaultSerializers.LongSerializer(), 12);
    kryo.register(Double.class, new DefaultSerializers.DoubleSerializer(), 13);
    kryo.register(Boolean.class, new DefaultSerializers.BooleanSerializer(), 14);
    kryo.register(BigInteger.class, new SafeKryo.BigIntegerSerializer(), 15);
    kryo.register(BigDecimal.class, new SafeKryo.BigDecimalSerializer(), 16);
    kryo.register(ArrayList.class, new SafeKryo.ListSerializer(), 17);
    kryo.register(LinkedHashMap.class, new SafeKryo.MapSerializer(true, this::allowedKey), 18);
    kryo.register(HashMap.class, new SafeKryo.MapSerializer(false, this::allowedKey), 19);
    kryo.register(byte[].class, new SafeKryo.BytesSerializer(), 20);
    kryo.register(Float.class, new DefaultSerializers.FloatSerializer(), 21);
    kryo.register(Short.class, new DefaultSerializers.ShortSerializer(), 22);
    kryo.register(Byte.class, new DefaultSerializers.ByteSerializer(), 23);
    kryo.register(Character.class, new DefaultSerializers.CharSerializer(), 24);
    kryo.register(LocalDateTime.class, 30);
    kryo.register(LocalDate.class, 31);
    kryo.register(LocalTime.class, 32);
    kryo.register(OffsetDateTime.class, 33);
    kryo.register(ZoneOffset.class, 34);
    kryo.register(Instant.class, 35);
    kryo.register(UUID.class, new SafeKryo.UuidSerializer(), 36);
    int next = FIRST_USER_ID;
    for (Class<?> c : registered) {
      kryo.register(c, next++);
    }
    return kryo;
  }

  /**
   * Map keys: the Comparable built-ins a JSON reply or kombu's tagged values can hold, and every
   * class the user registered or allowed.
   */
  private boolean allowedKey(Class<?> type) {
    return KEY_TYPES.contains(type) || registered.contains(type) || allowedByPackage(type.getName());
  }

  private boolean allowedByPackage(String name) {
    for (String p : allowedPackages) {
      if (name.startsWith(p) && name.indexOf('.', p.length()) < 0) {
        return true;
      }
    }
    return false;
  }

  private static final Set<Class<?>> KEY_TYPES = Set.of(String.class, Integer.class, Long.class, Short.class, Byte.class,
      Double.class, Float.class, Boolean.class, Character.class, BigInteger.class, BigDecimal.class, UUID.class,
      LocalDateTime.class, LocalDate.class, LocalTime.class, OffsetDateTime.class, Instant.class);

  @Override
  public byte[] encode(Object value) {
    KryoWorkers.Worker w = workers.obtain();
    try {
      Output output = w.output();
      w.kryo.writeClassAndObject(output, value);
      return output.toBytes();
    } catch (KryoException | IllegalArgumentException | ClassCastException | StackOverflowError e) {
      throw new CodecException("cannot encode " + describe(value) + " for the cache: " + firstLine(e), e);
    } finally {
      workers.release(w);
    }
  }

  @Override
  public Object decode(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length > maxBytes) {
      throw new CodecException("cached value of " + bytes.length + " bytes exceeds the limit of " + maxBytes);
    }
    KryoWorkers.Worker w = workers.obtain();
    try {
      Input input = w.input(bytes);
      Object value = w.kryo.readClassAndObject(input);
      if (input.position() != bytes.length) {
        throw new CodecException("cached value has " + (bytes.length - input.position()) + " trailing bytes");
      }
      return value;
    } catch (KryoException | IllegalArgumentException | IndexOutOfBoundsException | ClassCastException
        | NegativeArraySizeException | DateTimeException e) {
      throw new CodecException("cannot decode cached value: " + firstLine(e), e);
    } finally {
      workers.release(w);
    }
  }

  @Override
  public String id() {
    return id;
  }

  private static String describe(Object value) {
    return value == null ? "null" : "a value of type " + value.getClass().getName();
  }

  private static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  @Override
  public String toString() {
    return "KryoValueCodec{id=" + id + ", registered=" + registered.size() + ", allowedPackages=" + allowedPackages + "}";
  }

  /** Builds a {@link KryoValueCodec}. Not thread-safe. */
  public static final class Builder {
    private final Set<Class<?>> registered = new LinkedHashSet<>();
    private final Set<String> allowedPackages = new LinkedHashSet<>();
    private int maxBytes = DEFAULT_MAX_BYTES;

    private Builder() {}

    /** Allows these classes, with compact ids (in this order: keep it the same on every replica). */
    public Builder register(Class<?>... classes) {
      for (Class<?> c : classes) {
        registered.add(Objects.requireNonNull(c, "registered class must not be null"));
      }
      return this;
    }

    /** Allows every class directly in this package (not its sub-packages), written by name. */
    public Builder allowPackage(String packageName) {
      if (packageName == null || packageName.isBlank() || packageName.endsWith(".")) {
        throw new IllegalArgumentException("allowPackage needs a package name like com.example.dto, was " + packageName);
      }
      if (packageName.startsWith("java.") || packageName.startsWith("javax.") || packageName.startsWith("sun.")) {
        throw new IllegalArgumentException("allowPackage(" + packageName + ") would allow JDK classes; register the ones you need");
      }
      allowedPackages.add(packageName + ".");
      return this;
    }

    /** The largest value encoded or decoded, in bytes. Default 16 MiB. */
    public Builder maxBytes(int maxBytes) {
      if (maxBytes < 16) {
        throw new IllegalArgumentException("maxBytes must be at least 16, was " + maxBytes);
      }
      this.maxBytes = maxBytes;
      return this;
    }

    public KryoValueCodec build() {
      return new KryoValueCodec(this);
    }
  }
}
