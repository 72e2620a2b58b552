package io.github.nameko4j.rpc.internal;

import io.github.nameko4j.rpc.Kwarg;
import io.github.nameko4j.rpc.RpcMethod;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Dynamic proxies for typed client interfaces, shared by the plain client and the caching proxies. */
public final class TypedProxies {
  private TypedProxies() {}

  /** What a typed proxy calls for each method. */
  @FunctionalInterface
  public interface Invoker {
    CompletableFuture<Object> invoke(String service, String method, List<?> args, Map<String, ?> kwargs);

    /**
     * As {@link #invoke(String, String, List, Map)}, knowing the result type the interface
     * declares (the type argument of a {@code CompletableFuture}); an invoker may return a value
     * of that very type, which is then passed through unconverted.
     */
    default CompletableFuture<Object> invoke(String service, String method, List<?> args, Map<String, ?> kwargs, Type resultType) {
      return invoke(service, method, args, kwargs);
    }

    /**
     * The future an async interface method returns, from what {@link #invoke} returned: an
     * invoker whose futures may complete on an I/O thread hands the caller one that does not.
     * Default: the same future.
     */
    default CompletableFuture<Object> forAsyncCaller(CompletableFuture<Object> result) {
      return result;
    }
  }

  /** How one interface method maps to an rpc, parsed once at proxy creation. */
  public static final class Plan {
    final String rpcName;
    final String[] kwargNames; // null entry = positional
    final boolean async;
    final Type resultType;

    Plan(Method method) {
      this.rpcName = TypedProxies.rpcName(method);
      Parameter[] params = method.getParameters();
      this.kwargNames = new String[params.length];
      for (int i = 0; i < params.length; i++) {
        Kwarg kwarg = params[i].getAnnotation(Kwarg.class);
        kwargNames[i] = kwarg == null ? null : Names.require("@Kwarg on " + method.getName(), kwarg.value());
      }
      this.async = method.getReturnType() == CompletableFuture.class;
      if (async) {
        Type generic = method.getGenericReturnType();
        if (!(generic instanceof ParameterizedType)) {
          throw new IllegalArgumentException(
              method + ": a CompletableFuture return type needs a type argument, e.g. CompletableFuture<Object>");
        }
        this.resultType = ((ParameterizedType) generic).getActualTypeArguments()[0];
      } else {
        this.resultType = method.getGenericReturnType();
      }
    }
  }

  /** The rpc name of an interface method: its {@link RpcMethod} value or its name in snake_case. */
  public static String rpcName(Method method) {
    RpcMethod annotation = method.getAnnotation(RpcMethod.class);
    String name = annotation == null ? Names.snakeCase(method.getName()) : annotation.value();
    return Names.require("rpc method name of " + method.getDeclaringClass().getSimpleName() + "." + method.getName(), name);
  }

  /** The abstract methods a proxy of {@code api} would call remotely. */
  public static List<Method> rpcMethods(Class<?> api) {
    List<Method> methods = new ArrayList<>();
    for (Method m : api.getMethods()) {
      if (!m.isDefault() && !Modifier.isStatic(m.getModifiers())) {
        methods.add(m);
      }
    }
    return methods;
  }

  /**
   * A proxy whose abstract methods call {@code invoker}.
   *
   * @throws IllegalArgumentException {@code api} is not a non-generic interface, or a method is
   *     unusable
   */
  public static <T> T create(Class<T> api, String service, Invoker invoker) {
    return create(api, service, invoker, null, null);
  }

  /**
   * As {@link #create(Class, String, Invoker)}, the proxy also implementing {@code extra}, whose
   * methods go to {@code extraImpl} (e.g. cache control on caching proxies).
   */
  public static <T, X> T create(Class<T> api, String service, Invoker invoker, Class<X> extra, X extraImpl) {
    if (!api.isInterface()) {
      throw new IllegalArgumentException(api.getName() + " is not an interface");
    }
    if (api.getTypeParameters().length > 0) {
      throw new IllegalArgumentException(api.getName() + " must not be generic");
    }
    Map<Method, Plan> plans = new HashMap<>();
    for (Method m : rpcMethods(api)) {
      plans.put(m, new Plan(m)); // eager: a bad interface fails here, not on first call
    }
    InvocationHandler handler =
        (proxy, method, args) -> {
          if (method.getDeclaringClass() == Object.class) {
            switch (method.getName()) {
              case "equals":
                return proxy == args[0];
              case "hashCode":
                return System.identityHashCode(proxy);
              default:
                return api.getSimpleName() + "Proxy{service=" + service + "}";
            }
          }
          if (extra != null && method.getDeclaringClass() == extra) {
            try {
              return method.invoke(extraImpl, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          }
          if (method.isDefault()) {
            return callDefault(api, proxy, method, args);
          }
          Plan plan = plans.get(method);
          List<Object> positional = new ArrayList<>();
          Map<String, Object> kwargs = new LinkedHashMap<>();
          Object[] actual = args == null ? new Object[0] : args;
          for (int i = 0; i < actual.length; i++) {
            if (plan.kwargNames[i] == null) {
              positional.add(actual[i]);
            } else {
              kwargs.put(plan.kwargNames[i], actual[i]);
            }
          }
          CompletableFuture<Object> result = invoker.invoke(service, plan.rpcName, positional, kwargs, plan.resultType);
          if (plan.async) {
            return invoker.forAsyncCaller(result).thenApply(value -> Json.convert(value, plan.resultType));
          }
          return Json.convert(Futures.await(result), plan.resultType);
        };
    Class<?>[] interfaces = extra == null ? new Class<?>[] {api} : new Class<?>[] {api, extra};
    return api.cast(Proxy.newProxyInstance(api.getClassLoader(), interfaces, handler));
  }

  /** Runs a default method; works for non-public interfaces too, unlike InvocationHandler.invokeDefault. */
  private static Object callDefault(Class<?> api, Object proxy, Method method, Object[] args) throws Throwable {
    MethodHandle handle =
        MethodHandles.privateLookupIn(api, MethodHandles.lookup())
            .unreflectSpecial(method, api)
            .bindTo(proxy);
    return handle.invokeWithArguments(args == null ? new Object[0] : args);
  }

}
