package io.github.nameko4j.cachetools.internal;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.CollectionSerializer;
import com.esotericsoftware.kryo.serializers.MapSerializer;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.esotericsoftware.kryo.util.IntMap;
import com.esotericsoftware.kryo.util.ObjectMap;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kryo hardened for bytes written by someone else: classes are resolved only through an allow
 * list, before they are loaded; every length read from the stream is checked against the bytes
 * left, so a forged length cannot make us allocate gigabytes.
 */
public final class SafeKryo {
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

  public static final class UuidSerializer extends Serializer<java.util.UUID> {
    @Override
    public void write(Kryo kryo, Output output, java.util.UUID value) {
      output.writeLong(value.getMostSignificantBits());
      output.writeLong(value.getLeastSignificantBits());
    }

    @Override
    public java.util.UUID read(Kryo kryo, Input input, Class<? extends java.util.UUID> type) {
      return new java.util.UUID(input.readLong(), input.readLong());
    }
  }

  /** Lists: each element takes at least one byte, so the size cannot exceed the bytes left. */
  public static final class ListSerializer extends CollectionSerializer<Collection<Object>> {
    @Override
    protected Collection<Object> create(Kryo kryo, Input input, Class<? extends Collection<Object>> type, int size) {
      return new ArrayList<>(checkedLength(input, size, "list"));
    }
  }

  public static final class LinkedMapSerializer extends MapSerializer<Map<Object, Object>> {
    @Override
    protected Map<Object, Object> create(Kryo kryo, Input input, Class<? extends Map<Object, Object>> type, int size) {
      return new LinkedHashMap<>(Math.max(16, checkedLength(input, size, "map") * 4 / 3 + 1));
    }
  }

  public static final class HashMapSerializer extends MapSerializer<Map<Object, Object>> {
    @Override
    protected Map<Object, Object> create(Kryo kryo, Input input, Class<? extends Map<Object, Object>> type, int size) {
      return new HashMap<>(Math.max(16, checkedLength(input, size, "map") * 4 / 3 + 1));
    }
  }
}
