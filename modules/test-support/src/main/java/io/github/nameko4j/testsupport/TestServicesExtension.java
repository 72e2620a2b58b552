package io.github.nameko4j.testsupport;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves a {@link TestServices} parameter of a test, constructor or lifecycle method.
 *
 * <pre>{@code
 * @ExtendWith(TestServicesExtension.class)
 * class MyIT {
 *   @Test void works(TestServices services) { connect(services.amqpUri()); }
 * }
 * }</pre>
 *
 * <p>The services themselves are found lazily, on the first {@code amqpUri()} or {@code
 * redisUri()}: a test that needs only RabbitMQ does not fail because Redis is missing, and one that
 * needs a missing service fails with a message that says how to start it.
 */
public final class TestServicesExtension implements ParameterResolver {

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestServices.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return TestServices.get();
  }
}
