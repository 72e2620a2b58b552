package io.github.nameko4j.rpc;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** On a typed client interface: the remote method name, when snake_case of the Java name is wrong. */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface RpcMethod {
  /**
   * The rpc method's nameko name.
   *
   * @return e.g. {@code do_something}
   */
  String value();
}
