package io.github.nameko4j.rpc;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a typed client interface: send this parameter as a keyword argument with the given name.
 * Parameters without it are sent positionally, in order.
 *
 * <p>On a service method: the name keyword arguments bind to (defaults to the Java parameter name
 * when the code was compiled with {@code -parameters}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Kwarg {
  /**
   * The keyword's name.
   *
   * @return the name as the service's Python signature spells it, e.g. {@code user_id}
   */
  String value();
}
