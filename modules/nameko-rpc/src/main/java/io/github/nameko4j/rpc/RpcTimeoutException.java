package io.github.nameko4j.rpc;

import java.time.Duration;

/** No reply arrived within the call's timeout. The service may still run the call. */
public class RpcTimeoutException extends NamekoException {
  private static final long serialVersionUID = 1L;
  private final Duration timeout;

  /**
   * @param service the service called
   * @param method the method called
   * @param timeout how long the caller waited
   */
  public RpcTimeoutException(String service, String method, Duration timeout) {
    super("No reply from " + service + "." + method + " within " + timeout.toMillis() + " ms");
    this.timeout = timeout;
  }

  /** How long the caller waited. */
  public Duration timeout() {
    return timeout;
  }
}
