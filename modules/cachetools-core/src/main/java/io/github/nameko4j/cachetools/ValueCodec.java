package io.github.nameko4j.cachetools;

import io.github.nameko4j.rpc.CodecException;

/**
 * Turns cached replies into bytes and back. Implementations must be thread-safe.
 *
 * <p>Because a shared store can be written by others, {@link #decode} must never instantiate a
 * class it was not told to allow.
 */
public interface ValueCodec {

  /** @throws CodecException the value cannot be encoded (it is then returned uncached) */
  byte[] encode(Object value);

  /** @throws CodecException the bytes are corrupt, truncated or name a class not allowed */
  Object decode(byte[] bytes);

  /**
   * A short name of the format and its version, e.g. {@code kryo1}. Stores that are shared put
   * it in their keys, so a deploy with another codec does not read older entries.
   */
  String id();
}
