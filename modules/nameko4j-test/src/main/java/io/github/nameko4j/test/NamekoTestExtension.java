package io.github.nameko4j.test;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5: {@code @ExtendWith(NamekoTestExtension.class)} gives test methods (and {@code
 * @BeforeAll}/{@code @BeforeEach} methods) an {@link InProcessBroker}, one per test class, stopped
 * after its last test, and {@link Stubs}, whose stub services are closed after each test.
 *
 * <pre>{@code
 * @ExtendWith(NamekoTestExtension.class)
 * class ShopTest {
 *   @Test
 *   void answersFromTheCacheWhenInventoryFails(InProcessBroker broker, Stubs stubs) {
 *     StubService inventory = stubs.start("inventory").returns("stock", 3);
 *     ...
 *   }
 * }
 * }</pre>
 */
public final class NamekoTestExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NamekoTestExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == InProcessBroker.class || type == Stubs.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    InProcessBroker broker = broker(context);
    if (parameter.getParameter().getType() == InProcessBroker.class) {
      return broker;
    }
    if (context.getTestMethod().isEmpty()) {
      throw new ParameterResolutionException("Stubs are given to test methods and @BeforeEach methods, not to "
          + context.getDisplayName() + ": they are closed after each test");
    }
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    return store.getOrComputeIfAbsent("stubs", k -> new ClosingStubs(new Stubs(broker.uri())), ClosingStubs.class).stubs;
  }

  /** The broker of the test class: started on first use, stopped when the class is done. */
  private static InProcessBroker broker(ExtensionContext context) {
    ExtensionContext classContext = context.getTestClass().isPresent() && context.getTestMethod().isPresent()
        ? context.getParent().orElse(context) : context;
    return classContext.getStore(NAMESPACE)
        .getOrComputeIfAbsent("broker", k -> new ClosingBroker(InProcessBroker.start()), ClosingBroker.class).broker;
  }

  /** Closed by JUnit with its store. */
  private record ClosingBroker(InProcessBroker broker) implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() {
      broker.close();
    }
  }

  private record ClosingStubs(Stubs stubs) implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() {
      stubs.close();
    }
  }
}
