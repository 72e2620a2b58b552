package io.github.nameko4j.cachetools.internal;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.esotericsoftware.kryo.util.IntMap;
import com.esotericsoftware.kryo.util.ObjectMap;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Kryo hardened for bytes written by someone else: classes are resolved only through an allow
 * list, before they are loaded, and only through the serializers registered here; every length
 * read from the stream is checked against the bytes left, so a forged length cannot make us
 * allocate gigabytes; nesting is bounded, so forged depth cannot exhaust the stack; map keys are
 * of types that hash maps handle in logarithmic time when hash codes collide.
 */
public final class SafeKryo {
  /** The lowest class id the codec registers; Kryo's own defaults sit below it. */
  public static final int FIRST_ALLOWED_ID = 10;

  private SafeKryo() {}

  /** The class loader Kryo resolves names with: anything outside the allowed packages does not exist. */
  public static final class AllowListClassLoader extends ClassLoader {
    private final Set<String> allowedClasses;
    private final List<String> allowedPackages;

    public AllowListClassLoader(ClassLoader parent, Set<String> allowedClasses, List<String> allowedPackages) {
      super(parent);
      this.allowedClasses = allowedClasses;
      this.allowedPackages = allowedPackages;
    }

    public boolean allows(String name) {
      if (allowedClasses.contains(name)) {
        return true;
      }
      for (String p : allowedPackages) {
        if (name.startsWith(p) && name.indexOf('.', p.length()) < 0) {
          return true;
        }
      }
      return false;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (!allows(name)) {
        throw new ClassNotFoundException("class " + name + " is not allowed in cached values");
      }
      return super.loadClass(name, resolve);
    }
  }

  /** Refuses to write a class that is neither registered nor in an allowed package. */
  public static final class AllowListResolver extends DefaultClassResolver {
    private final AllowListClassLoader loader;

    public AllowListResolver(AllowListClassLoader loader) {
      this.loader = loader;
    }

    @Override
    public Registration registerImplicit(Class type) {
      if (!loader.allows(type.getName())) {
        throw new KryoException("class " + type.getName() + " is not allowed in cached values: register it or allow its package");
      }
      return super.registerImplicit(type);
    }

    /**
     * Kryo's own version falls back to its class loader when ours refuses, which loads the class
     * (without initializing it). Here the name is checked before anything is loaded.
     */
    /**
     * Kryo registers its own classes under ids 0 to 9 (String with an unguarded serializer among
     * them) and never forgets them, even once re-registered under other ids: bytes naming those
     * ids are refused, so only the serializers registered here are ever used to read.
     */
    @Override
    public Registration readClass(Input input) {
      int start = input.position();
      int id = input.readVarInt(true);
      if (id != Kryo.NULL && id != NAME + 2 && id - 2 < FIRST_ALLOWED_ID) {
        throw new KryoException("class id " + (id - 2) + " is not allowed in cached values");
      }
      input.setPosition(start);
      return super.readClass(input);
    }

    @Override
    protected Registration readName(Input input) {
      int nameId = input.readVarInt(true);
      if (nameIdToClass == null) {
        nameIdToClass = new IntMap<>();
      }
      Class<?> type = nameIdToClass.get(nameId);
      if (type == null) {
        checkStringLength(input);
        String className = input.readString();
        if (!loader.allows(className)) {
          throw new KryoException("class " + className + " is not allowed in cached values");
        }
        type = getTypeByName(className);
        if (type == null) {
          try {
            type = Class.forName(className, false, loader);
          } catch (ClassNotFoundException e) {
            throw new KryoException("Unable to find class: " + className, e);
          }
          if (nameToClass == null) {
            nameToClass = new ObjectMap<>();
          }
          nameToClass.put(className, type);
        }
        nameIdToClass.put(nameId, type);
      }
      return kryo.getRegistration(type);
    }
  }

  /** Kryo's readString allocates its declared length up front; refuse lengths the input cannot hold. */
  static void checkStringLength(Input input) {
    byte[] buffer = input.getBuffer();
    int i = input.position();
    int limit = input.limit();
    if (i >= limit || (buffer[i] & 0x80) == 0) {
      return; // ASCII form: bounded by the input itself
    }
    int b = buffer[i++];
    int length = b & 0x3F;
    if ((b & 0x40) != 0) {
      int shift = 6;
      do {
        if (i >= limit || shift > 27) {
          throw new KryoException("malformed string length");
        }
        b = buffer[i++];
        length |= (b & 0x7F) << shift;
        shift += 7;
      } while ((b & 0x80) != 0);
    }
    if (length - 1 > limit - i) {
      throw new KryoException("string length " + (length - 1) + " exceeds the " + (limit - i) + " bytes left");
    }
  }

  static int checkedLength(Input input, int length, String what) {
    int remaining = input.limit() - input.position();
    if (length < 0 || length > remaining) {
      throw new KryoException(what + " length " + length + " exceeds the " + remaining + " bytes left");
    }
    return length;
  }

  public static final class StringSerializer extends Serializer<String> {
    @Override
    public void write(Kryo kryo, Output output, String value) {
      byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
      output.writeVarInt(bytes.length, true);
      output.writeBytes(bytes);
    }

    @Override
    public String read(Kryo kryo, Input input, Class<? extends String> type) {
      int length = checkedLength(input, input.readVarInt(true), "string");
      return new String(input.readBytes(length), StandardCharsets.UTF_8);
    }
  }

  public static final class BytesSerializer extends Serializer<byte[]> {
    @Override
    public void write(Kryo kryo, Output output, byte[] value) {
      output.writeVarInt(value.length, true);
      output.writeBytes(value);
    }

    @Override
    public byte[] read(Kryo kryo, Input input, Class<? extends byte[]> type) {
      return input.readBytes(checkedLength(input, input.readVarInt(true), "byte array"));
    }
  }

  public static final class BigIntegerSerializer extends Serializer<BigInteger> {
    @Override
    public void write(Kryo kryo, Output output, BigInteger value) {
      byte[] bytes = value.toByteArray();
      output.writeVarInt(bytes.length, true);
      output.writeBytes(bytes);
    }

    @Override
    public BigInteger read(Kryo kryo, Input input, Class<? extends BigInteger> type) {
      int length = checkedLength(input, input.readVarInt(true), "big integer");
      if (length == 0) {
        throw new KryoException("empty big integer");
      }
      return new BigInteger(input.readBytes(length));
    }
  }

  public static final class BigDecimalSerializer extends Serializer<BigDecimal> {
    private final BigIntegerSerializer unscaled = new BigIntegerSerializer();

    @Override
    public void write(Kryo kryo, Output output, BigDecimal value) {
      unscaled.write(kryo, output, value.unscaledValue());
      output.writeVarInt(value.scale(), false);
    }

    @Override
    public BigDecimal read(Kryo kryo, Input input, Class<? extends BigDecimal> type) {
      BigInteger digits = unscaled.read(kryo, input, BigInteger.class);
      return new BigDecimal(digits, input.readVarInt(false));
    }
  }

  public static final class UuidSerializer extends Serializer<UUID> {
    @Override
    public void write(Kryo kryo, Output output, UUID value) {
      output.writeLong(value.getMostSignificantBits());
      output.writeLong(value.getLeastSignificantBits());
    }

    @Override
    public UUID read(Kryo kryo, Input input, Class<? extends UUID> type) {
      return new UUID(input.readLong(), input.readLong());
    }
  }

  /** Deepest nesting of lists and maps read or written: far below what exhausts a thread's stack. */
  public static final int MAX_DEPTH = 256;

  static void checkDepth(Kryo kryo) {
    if (kryo.getDepth() > MAX_DEPTH) {
      throw new KryoException("value nested deeper than " + MAX_DEPTH + " levels");
    }
  }

  /**
   * Lists as their size then each element: nesting is bounded, and the size cannot exceed the
   * bytes left (each element takes at least one).
   */
  public static final class ListSerializer extends Serializer<List<Object>> {
    @Override
    public void write(Kryo kryo, Output output, List<Object> list) {
      checkDepth(kryo);
      output.writeVarInt(list.size(), true);
      for (Object element : list) {
        kryo.writeClassAndObject(output, element);
      }
    }

    @Override
    public List<Object> read(Kryo kryo, Input input, Class<? extends List<Object>> type) {
      checkDepth(kryo);
      int size = checkedLength(input, input.readVarInt(true), "list");
      List<Object> list = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        list.add(kryo.readClassAndObject(input));
      }
      return list;
    }
  }

  /**
   * Maps as their size then each key and value. Keys are limited to types that a hash map keeps in
   * order when their hash codes collide (strings, numbers, dates... {@code keyAllowed}): a map of
   * colliding keys of another type (lists, maps) takes quadratic time to build, seconds for a few
   * hundred kilobytes.
   */
  public static final class MapSerializer extends Serializer<Map<Object, Object>> {
    private final boolean linked;
    private final Predicate<Class<?>> keyAllowed;

    public MapSerializer(boolean linked, Predicate<Class<?>> keyAllowed) {
      this.linked = linked;
      this.keyAllowed = keyAllowed;
    }

    @Override
    public void write(Kryo kryo, Output output, Map<Object, Object> map) {
      checkDepth(kryo);
      output.writeVarInt(map.size(), true);
      for (Map.Entry<Object, Object> e : map.entrySet()) {
        checkKey(e.getKey());
        kryo.writeClassAndObject(output, e.getKey());
        kryo.writeClassAndObject(output, e.getValue());
      }
    }

    @Override
    public Map<Object, Object> read(Kryo kryo, Input input, Class<? extends Map<Object, Object>> type) {
      checkDepth(kryo);
      int size = checkedLength(input, input.readVarInt(true), "map") ;
      int capacity = Math.max(16, Math.min(size, (input.limit() - input.position()) / 2) * 4 / 3 + 1);
      Map<Object, Object> map = linked ? new LinkedHashMap<>(capacity) : new HashMap<>(capacity);
      for (int i = 0; i < size; i++) {
        Object key = kryo.readClassAndObject(input);
        checkKey(key);
        map.put(key, kryo.readClassAndObject(input));
      }
      return map;
    }

    private void checkKey(Object key) {
      if (key != null && !keyAllowed.test(key.getClass())) {
        throw new KryoException("map key of type " + key.getClass().getName() + " is not allowed in cached values");
      }
    }
  }
}
