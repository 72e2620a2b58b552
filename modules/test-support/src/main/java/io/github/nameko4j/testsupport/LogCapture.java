package io.github.nameko4j.testsupport;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/**
 * What the library logs while a test runs, for tests that assert on a warning an operator would
 * see. Captures the {@code io.github.nameko4j} loggers at DEBUG and above (their level is restored
 * on {@link #close()}). Thread-safe.
 */
public final class LogCapture implements AutoCloseable {
  private static final String ROOT = "io.github.nameko4j";

  /** One captured line. */
  public record Line(String level, String logger, String message) {
    @Override
    public String toString() {
      return level + " " + logger + " - " + message;
    }
  }

  private final List<Line> lines = new CopyOnWriteArrayList<>();
  private final Logger logger;
  private final Level before;
  private final AppenderBase<ILoggingEvent> appender;

  private LogCapture() {
    this.logger = (Logger) LoggerFactory.getLogger(ROOT);
    this.before = logger.getLevel();
    this.appender = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent event) {
        lines.add(new Line(event.getLevel().toString(), event.getLoggerName(), event.getFormattedMessage()));
      }
    };
    appender.setContext(logger.getLoggerContext());
    appender.start();
    logger.addAppender(appender);
    logger.setLevel(Level.DEBUG);
  }

  /** Starts capturing. */
  public static LogCapture start() {
    return new LogCapture();
  }

  /** Every line captured so far. */
  public List<Line> lines() {
    return new ArrayList<>(lines);
  }

  /** The messages of lines at {@code level} (e.g. "WARN") that contain {@code fragment}. */
  public List<String> messages(String level, String fragment) {
    List<String> found = new ArrayList<>();
    for (Line l : lines) {
      if (l.level().equals(level) && l.message().contains(fragment)) {
        found.add(l.message());
      }
    }
    return found;
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
    logger.setLevel(before);
  }
}
