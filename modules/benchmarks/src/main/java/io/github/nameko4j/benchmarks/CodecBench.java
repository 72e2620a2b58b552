package io.github.nameko4j.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.nameko4j.cachetools.KryoValueCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Row 4: encoding and decoding a reply with Kryo (ours), JDK serialization and Jackson JSON. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CodecBench {
  @Param({"small", "nested400", "records1000"})
  public String shape;

  @Param({"kryo", "jdk", "jackson"})
  public String codec;

  Object value;
  byte[] encoded;
  final KryoValueCodec kryo = KryoValueCodec.create();
  final ObjectMapper jackson = new ObjectMapper();

  static Object shape(String name) {
    switch (name) {
      case "small": {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", 42);
        m.put("name", "alice");
        m.put("active", true);
        m.put("score", 3.5);
        return m;
      }
      case "nested400": {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < 400; i++) {
          Map<String, Object> inner = new LinkedHashMap<>();
          inner.put("id", i);
          inner.put("ratio", i / 7.0);
          inner.put("tags", new ArrayList<>(List.of("a" + i, "b" + i)));
          inner.put("child", new LinkedHashMap<>(Map.of("k", i)));
          m.put(String.valueOf(i), inner);
        }
        return m;
      }
      default: {
        List<Object> list = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("id", (long) i);
          r.put("name", "record-" + i);
          r.put("price", i * 1.25);
          r.put("in_stock", i % 2 == 0);
          r.put("sku", "SKU" + (100000 + i));
          list.add(r);
        }
        return list;
      }
    }
  }

  @Setup
  public void setUp() throws IOException, ClassNotFoundException {
    value = shape(shape);
    encoded = encode();
  }

  byte[] encode() throws IOException {
    switch (codec) {
      case "kryo":
        return kryo.encode(value);
      case "jdk": {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
          out.writeObject(value);
        }
        return bytes.toByteArray();
      }
      default:
        return jackson.writeValueAsBytes(value);
    }
  }

  @Benchmark
  public byte[] encodeReply() throws IOException {
    return encode();
  }

  @Benchmark
  public Object decodeReply() throws IOException, ClassNotFoundException {
    switch (codec) {
      case "kryo":
        return kryo.decode(encoded);
      case "jdk":
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(encoded))) {
          return in.readObject();
        }
      default:
        return jackson.readValue(encoded, Object.class);
    }
  }
}
