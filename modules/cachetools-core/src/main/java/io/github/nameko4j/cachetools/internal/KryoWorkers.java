package io.github.nameko4j.cachetools.internal;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.function.Supplier;

/**
 * Idle Kryo instances, each with the input and output it reads and writes with (Kryo is not
 * thread-safe). A decode used to allocate a fresh {@code Input} and its char buffer, and Kryo's
 * own pool a queue node on every return: a third of what a cache hit allocated. The queue is an
 * array (no allocation per use); buffers grown by a large entry are dropped on return, so an idle
 * worker holds little. Thread-safe.
 */
public final class KryoWorkers {
  private static final int MAX_IDLE = 64;
  private static final int KEPT_BUFFER = 64 * 1024;
  private static final byte[] NOTHING = new byte[0];

  /** One Kryo with its streams. */
  public static final class Worker {
    public final Kryo kryo;
    private final TrimmableInput input = new TrimmableInput();
    private final Output output;

    Worker(Kryo kryo, int maxBytes) {
      this.kryo = kryo;
      this.output = new Output(256, maxBytes);
    }

    /** The input, reading {@code bytes}. */
    public Input input(byte[] bytes) {
      input.setBuffer(bytes);
      return input;
    }

    /** The output, empty. */
    public Output output() {
      output.reset();
      return output;
    }

    void trim(int maxBytes) {
      input.setBuffer(NOTHING); // no reference to the last entry
      input.trim();
      if (output.getBuffer().length > KEPT_BUFFER) {
        output.setBuffer(new byte[256], maxBytes);
      }
    }
  }

  /** Kryo's Input, whose char buffer (grown by the longest string read) can be given back. */
  private static final class TrimmableInput extends Input {
    void trim() {
      if (chars.length > KEPT_BUFFER) {
        chars = new char[32];
      }
    }
  }

  private final ArrayBlockingQueue<Worker> idle = new ArrayBlockingQueue<>(MAX_IDLE);
  private final Supplier<Kryo> factory;
  private final int maxBytes;

  public KryoWorkers(Supplier<Kryo> factory, int maxBytes) {
    this.factory = factory;
    this.maxBytes = maxBytes;
  }

  public Worker obtain() {
    Worker w = idle.poll();
    return w != null ? w : new Worker(factory.get(), maxBytes);
  }

  public void release(Worker w) {
    w.trim(maxBytes);
    idle.offer(w); // beyond MAX_IDLE, dropped
  }
}
