package io.github.nameko4j.cachetools.redis.internal;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Cross-replica leases in Redis: taken with SET NX PX, released by their owner only (Lua). */
public final class Leases {
  private static final String RELEASE_SCRIPT =
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

  private final GuardedCommands commands;

  public Leases(GuardedCommands commands) {
    this.commands = commands;
  }

  /**
   * {@code SET <key>:lease <owner> NX PX <ttl>}: one command, so a crashed owner's lease expires.
   * If Redis cannot be asked the future fails; the proxies then take the lease as granted: a
   * broken cache never blocks a call.
   */
  public CompletableFuture<Boolean> tryLease(byte[] leaseKey, String owner, Duration ttl) {
    byte[] v = owner.getBytes(StandardCharsets.UTF_8);
    return commands.run("lease", leaseKey, c -> c.set(leaseKey, v, SetArgs.Builder.nx().px(Math.max(1, ttl.toMillis()))))
        .thenApply("OK"::equals);
  }

  /** Deletes the lease only if {@code owner} still holds it (compare and delete, atomically). */
  public CompletableFuture<Void> release(byte[] leaseKey, String owner) {
    byte[] v = owner.getBytes(StandardCharsets.UTF_8);
    return commands.run("release", leaseKey, c -> c.<Long>eval(RELEASE_SCRIPT, ScriptOutputType.INTEGER, new byte[][] {leaseKey}, v))
        .thenApply(n -> null);
  }
}
