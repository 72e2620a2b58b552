package io.github.nameko4j.rpc.internal;

import io.github.nameko4j.rpc.RemoteServiceException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** nameko's error object (PROTOCOL.md §5) ↔ Java exceptions. */
public final class Errors {
  private Errors() {}

  /** The error object for an exception raised by a Java service method. */
  public static Map<String, Object> toErrorObject(Throwable raised) {
    // join()/get() in a service method wrap the real failure; callers want the real one.
    Throwable error = Futures.cause(raised);
    if (error instanceof RemoteServiceException) {
      // A downstream remote error re-raised here: nameko reports it as RemoteError.
      String text = error.getMessage();
      return errorObject("RemoteError", "nameko.exceptions.RemoteError", List.of(text), text);
    }
    String message = error.getMessage() == null ? "" : error.getMessage();
    List<Object> args = error.getMessage() == null ? List.of() : List.of(message);
    return errorObject(error.getClass().getSimpleName(), error.getClass().getName(), args, message);
  }

  public static Map<String, Object> errorObject(String type, String path, List<Object> args, String value) {
    Map<String, Object> error = new LinkedHashMap<>(8);
    error.put("exc_type", type);
    error.put("exc_path", path);
    error.put("exc_args", args);
    error.put("value", value);
    return error;
  }

  /**
   * The exception for an error object received in a reply. Tolerates foreign peers that omit
   * fields: a missing type becomes {@code UnknownError}, missing args an empty list.
   */
  public static RemoteServiceException fromErrorObject(Object error) {
    if (!(error instanceof Map)) {
      String text = String.valueOf(error);
      return RemoteServiceException.of("UnknownError", null, List.of(text), text);
    }
    Map<?, ?> map = (Map<?, ?>) error;
    Object type = map.get("exc_type");
    Object path = map.get("exc_path");
    Object value = map.get("value");
    Object args = map.get("exc_args");
    List<Object> excArgs = new ArrayList<>();
    if (args instanceof List) {
      excArgs.addAll((List<?>) args);
    } else if (args != null) {
      excArgs.add(args);
    }
    return RemoteServiceException.of(
        type == null ? "UnknownError" : String.valueOf(type),
        path == null ? null : String.valueOf(path),
        excArgs,
        value == null ? "" : String.valueOf(value));
  }

  /** Python truthiness of the reply's error field: null, empty map/list/string are "no error". */
  public static boolean isError(Object error) {
    if (error == null || Boolean.FALSE.equals(error)) {
      return false;
    }
    if (error instanceof Map) {
      return !((Map<?, ?>) error).isEmpty();
    }
    if (error instanceof List) {
      return !((List<?>) error).isEmpty();
    }
    if (error instanceof String) {
      return !((String) error).isEmpty();
    }
    return true;
  }
}
