package io.github.nameko4j.rpc.internal;

import com.rabbitmq.client.AMQP;
import io.github.nameko4j.rpc.CodecException;
import java.nio.charset.Charset;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a reply body ({"result": ..., "error": ...}) into the call's future. */
final class Replies {
  private static final Logger LOG = LoggerFactory.getLogger(Replies.class);

  private Replies() {}

  static void complete(CompletableFuture<Object> future, AMQP.BasicProperties props, byte[] body, String service, String method) {
    try {
      Object reply = Json.decode(body, charsetOf(props));
      if (!(reply instanceof Map)) {
        throw new CodecException("reply is not a JSON object");
      }
      Map<?, ?> map = (Map<?, ?>) reply;
      Object error = map.get("error");
      if (Errors.isError(error)) {
        future.completeExceptionally(Errors.fromErrorObject(error));
      } else {
        future.complete(map.get("result"));
      }
    } catch (CodecException e) {
      LOG.warn("unreadable reply from {}.{}: {}", service, method, e.getMessage());
      future.completeExceptionally(new CodecException("unreadable reply from " + service + "." + method + ": " + e.getMessage(), e));
    }
  }

  /** The body's charset; Python codec names ("latin-1", "utf_8") are not all Java aliases. */
  static Charset charsetOf(AMQP.BasicProperties props) {
    return Json.charset(props.getContentEncoding());
  }
}
