package io.github.nameko4j.it;

/** Named only by forged cache entries; its static initializer and constructor record that they ran. */
public class NeverLoadedStoreProbe {
  static {
    System.setProperty("nameko4j.it.probe.loaded", "true");
  }

  public String payload;

  public NeverLoadedStoreProbe() {
    System.setProperty("nameko4j.it.probe.constructed", "true");
  }
}
