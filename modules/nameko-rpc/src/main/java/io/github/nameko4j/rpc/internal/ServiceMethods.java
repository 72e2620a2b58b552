package io.github.nameko4j.rpc.internal;

import io.github.nameko4j.rpc.CodecException;
import io.github.nameko4j.rpc.IncorrectSignatureException;
import io.github.nameko4j.rpc.Kwarg;
import io.github.nameko4j.rpc.Rpc;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@link Rpc} methods of a service object, and binding of nameko args/kwargs to their Java
 * parameters with Python's rules and Python's messages (so callers see familiar IncorrectSignature
 * texts).
 */
public final class ServiceMethods {
  private final Object target;
  private final Map<String, Bound> methods = new HashMap<>();

  /** One exposed method. */
  public static final class Bound {
    final String name;
    final Method method;
    final String[] paramNames;

    Bound(String name, Method method) {
      this.name = name;
      this.method = method;
      Parameter[] params = method.getParameters();
      this.paramNames = new String[params.length];
      for (int i = 0; i < params.length; i++) {
        Kwarg kwarg = params[i].getAnnotation(Kwarg.class);
        paramNames[i] = kwarg != null ? kwarg.value() : Names.snakeCase(params[i].getName());
      }
    }
  }

  /**
   * @throws IllegalArgumentException the object exposes no {@link Rpc} method, two share a name,
   *     or one is not public
   */
  public ServiceMethods(Object target) {
    this.target = target;
    for (Method m : target.getClass().getMethods()) {
      Rpc rpc = m.getAnnotation(Rpc.class);
      if (rpc == null || Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      String name = Names.require("@Rpc name of " + m.getName(), rpc.value().isEmpty() ? Names.snakeCase(m.getName()) : rpc.value());
      if (methods.put(name, new Bound(name, m)) != null) {
        throw new IllegalArgumentException(
            target.getClass().getName() + " exposes two @Rpc methods named '" + name + "'");
      }
      m.setAccessible(true); // public methods of non-public classes (e.g. test doubles)
    }
    if (methods.isEmpty()) {
      throw new IllegalArgumentException(
          target.getClass().getName() + " has no public method annotated with @Rpc");
    }
  }

  public Bound find(String name) {
    return methods.get(name);
  }

  public Set<String> names() {
    return methods.keySet();
  }

  /**
   * The methods with a parameter that keyword arguments cannot bind to by name: compiled without
   * {@code -parameters} (javac's default, and Maven's) and without {@link Kwarg}, so its name is
   * {@code arg0}. Empty when every parameter has its real name.
   */
  public Set<String> methodsWithoutParameterNames() {
    Set<String> found = new TreeSet<>();
    for (Bound b : methods.values()) {
      Parameter[] params = b.method.getParameters();
      for (Parameter p : params) {
        if (!p.isNamePresent() && p.getAnnotation(Kwarg.class) == null) {
          found.add(b.name);
        }
      }
    }
    return found;
  }

  /**
   * Binds arguments as Python would.
   *
   * @throws IncorrectSignatureException too many, missing, duplicate or unknown arguments, or an
   *     argument that does not convert to the parameter's type
   */
  public static Object[] bind(Bound bound, List<?> args, Map<String, ?> kwargs) {
    String fn = bound.name + "()";
    int arity = bound.paramNames.length;
    if (args.size() > arity) {
      throw new IncorrectSignatureException(
          fn + " takes " + arity + " positional argument" + (arity == 1 ? "" : "s") + " but " + args.size()
              + (args.size() == 1 ? " was" : " were") + " given");
    }
    Object[] values = new Object[arity];
    boolean[] set = new boolean[arity];
    for (int i = 0; i < args.size(); i++) {
      values[i] = args.get(i);
      set[i] = true;
    }
    for (Map.Entry<String, ?> e : kwargs.entrySet()) {
      int index = indexOf(bound.paramNames, e.getKey());
      if (index < 0) {
        throw new IncorrectSignatureException(fn + " got an unexpected keyword argument '" + e.getKey() + "'");
      }
      if (set[index]) {
        throw new IncorrectSignatureException(fn + " got multiple values for argument '" + e.getKey() + "'");
      }
      values[index] = e.getValue();
      set[index] = true;
    }
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < arity; i++) {
      if (!set[i]) {
        missing.add("'" + bound.paramNames[i] + "'");
      }
    }
    if (!missing.isEmpty()) {
      throw new IncorrectSignatureException(
          fn + " missing " + missing.size() + " required positional argument" + (missing.size() == 1 ? "" : "s")
              + ": " + joinPython(missing));
    }
    Type[] types = bound.method.getGenericParameterTypes();
    for (int i = 0; i < arity; i++) {
      try {
        values[i] = Json.convert(values[i], types[i]);
      } catch (CodecException e) {
        throw new IncorrectSignatureException(fn + " argument '" + bound.paramNames[i] + "': " + e.getMessage());
      }
      if (values[i] == null && bound.method.getParameterTypes()[i].isPrimitive()) {
        throw new IncorrectSignatureException(fn + " argument '" + bound.paramNames[i] + "' must not be None");
      }
    }
    return values;
  }

  /** Invokes the method; the method's own exception is rethrown unwrapped. */
  public Object invoke(Bound bound, Object[] values) throws Throwable {
    try {
      return bound.method.invoke(target, values);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static int indexOf(String[] names, String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** Python's "'a', 'b' and 'c'". */
  private static String joinPython(List<String> names) {
    if (names.size() == 1) {
      return names.get(0);
    }
    return String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.get(names.size() - 1);
  }
}
