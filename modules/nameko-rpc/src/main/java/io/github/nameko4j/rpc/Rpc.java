package io.github.nameko4j.rpc;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Exposes a public method of a service object as a nameko rpc method (nameko's {@code @rpc}).
 * The rpc name is the method's name in snake_case unless {@link #value()} gives one.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Rpc {
  /** The rpc method name; empty means the Java name in snake_case. */
  String value() default "";
}
