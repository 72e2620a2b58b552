package io.github.nameko4j.cachetools;

import java.util.concurrent.atomic.AtomicBoolean;

/** A class no codec allows: if it is ever loaded or instantiated, the flags say so. */
public class RecordsInstantiation {
  public static final AtomicBoolean LOADED = Marker.LOADED;
  public static final AtomicBoolean CONSTRUCTED = new AtomicBoolean();

  static {
    Marker.LOADED.set(true);
  }

  public String payload = "evil";

  public RecordsInstantiation() {
    CONSTRUCTED.set(true);
  }

  /** Holds the flag outside the class under watch, so reading it does not load that class. */
  public static final class Marker {
    public static final AtomicBoolean LOADED = new AtomicBoolean();
  }
}
