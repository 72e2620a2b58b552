package io.github.nameko4j.cachetools;

/**
 * Referenced by no code: only a forged cache payload names it. Its static initializer and
 * constructor record in system properties that it was loaded or built, so a test can prove the
 * codec never did either.
 */
public class NeverLoadedProbeXYZn {
  static {
    System.setProperty("nameko4j.probe.loaded", "true");
  }

  public String payload;

  public NeverLoadedProbeXYZn() {
    System.setProperty("nameko4j.probe.constructed", "true");
  }
}
