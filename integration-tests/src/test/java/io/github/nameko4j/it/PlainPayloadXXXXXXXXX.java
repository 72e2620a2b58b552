package io.github.nameko4j.it;

/** A class of the same name length as {@link NeverLoadedStoreProbe}, used to forge a payload naming it. */
public class PlainPayloadXXXXXXXXX {
  public String payload = "evil";
}
