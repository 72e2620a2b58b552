package io.github.nameko4j.spring.autoconfigure;

import io.github.nameko4j.spring.NamekoConfigurationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Spring Boot's startup failure summary for a {@link NamekoConfigurationException}: property, value, origin, problem, action. */
public class Nameko4jFailureAnalyzer extends AbstractFailureAnalyzer<NamekoConfigurationException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, NamekoConfigurationException cause) {
    StringBuilder description = new StringBuilder("nameko4j cannot start with this setting:\n\n")
        .append("    Setting:  ").append(cause.property()).append('\n');
    if (cause.value() != null) {
      description.append("    Value:    ").append(cause.value()).append('\n');
    }
    description.append("    Origin:   ").append(cause.origin() == null ? "unknown" : cause.origin()).append('\n')
        .append("    Reason:   ").append(cause.getMessage().substring(cause.property().length() + 2));
    return new FailureAnalysis(description.toString(), cause.action(), cause);
  }
}
