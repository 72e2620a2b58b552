package io.github.nameko4j.cachetools.internal;

import io.github.nameko4j.cachetools.CachedReply;
import io.github.nameko4j.rpc.internal.Ids;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CacheFirstRpcProxy: answer from a fresh entry; otherwise call the service and cache the reply.
 *
 * <p>Concurrent callers of one key share one flight (lookup, then at most one RPC): a hundred
 * callers on a cold key make one lookup and one call. With the cross-replica lease on, the
 * replicas that miss at once let the lease holder call while they wait for its entry.
 */
final class CacheFirstStrategy {
  private static final Logger LOG = LoggerFactory.getLogger(CacheFirstStrategy.class);

  private final String service;
  private final ServiceCall rpc;
  private final StoreAccess store;
  private final Executor executor;
  private final SafeListener events;
  private final Clock clock;
  private final Lease lease; // null: no cross-replica lease
  private final boolean lookBeforeJoining;
  private final SingleFlight<CachedReply> flights = new SingleFlight<>();
  private final SingleFlight<Void> refreshes = new SingleFlight<>();

  /**
   * @param leaseTtl how long a cross-replica lease lasts; null for no lease
   * @param leaseWait how long replicas without the lease wait for the holder's entry
   */
  CacheFirstStrategy(String service, ServiceCall rpc, StoreAccess store, Executor executor, ScheduledExecutorService scheduler,
      SafeListener events, Clock clock, Duration leaseTtl, Duration leaseWait) {
    this.service = service;
    this.rpc = rpc;
    this.store = store;
    this.executor = executor;
    this.events = events;
    this.clock = clock;
    this.lease = leaseTtl == null ? null : new Lease(leaseTtl, leaseWait, scheduler);
    // In-process stores and near caches answer at once: look before paying for a flight. Remote
    // stores are only asked within a flight, so concurrent callers share one lookup.
    this.lookBeforeJoining = store.store().completesInline();
  }

  CompletableFuture<CachedReply> call(CallRequest r) {
    long seen = store.seenNow(); // before the lookup: a fetch from here on is after any invalidation known now
    String flightKey = r.flightKey(); // calls with other cache control want other answers: their own flights
    if (lookBeforeJoining && !flights.isFlying(flightKey)) {
      CompletableFuture<StoreAccess.Hit> lookup = lookup(r);
      if (lookup.isDone() && store.acceptable(r, lookup.join())) {
        return CompletableFuture.completedFuture(hit(r, lookup.join()));
      }
      return flights.join(flightKey, seen, started -> store.outdated(r, started), () -> flight(r, lookup, seen));
    }
    return flights.join(flightKey, seen, started -> store.outdated(r, started), () -> flight(r, lookup(r), seen));
  }

  /** The store's entry; none for a call carrying {@code no-cache}, which skips cached replies. */
  private CompletableFuture<StoreAccess.Hit> lookup(CallRequest r) {
    return r.directives().isNoCache() ? CompletableFuture.completedFuture(null) : store.lookup(r);
  }

  private SingleFlight.Flight<CachedReply> flight(CallRequest r, CompletableFuture<StoreAccess.Hit> lookup, long seen) {
    CompletableFuture<Void> settled = new CompletableFuture<>();
    CompletableFuture<CachedReply> result = lookup.thenCompose(hit -> {
      if (store.acceptable(r, hit)) {
        settled.complete(null);
        store.remember(r.key(), hit);
        return CompletableFuture.completedFuture(hit(r, hit));
      }
      boolean unknown = hit != null && !hit.known();
      if (unknown) {
        // The store could not say in time (slow, failing, switched off): a reply this process got
        // for the key moments ago answers, rather than every flight asking the service again.
        StoreAccess.Hit recent = store.recent(r);
        if (recent != null) {
          settled.complete(null);
          return CompletableFuture.completedFuture(hit(r, recent));
        }
      }
      events.onMiss(service, r.method());
      // The lease makes replicas wait for one another's entries: a call with cache control of its own does not.
      CompletableFuture<CachedReply> fetched = lease == null || !r.directives().isEmpty()
          ? callAndSave(r, seen, false, settled) : lease.fetch(r, seen, settled);
      return unknown ? orLateHit(r, fetched, hit.late()) : fetched;
    });
    result.whenComplete((v, e) -> {
      if (e != null) {
        settled.complete(null);
      }
    });
    return new SingleFlight.Flight<>(result, settled);
  }

  /**
   * The service's reply, or the store's answer that came after the read budget if that is a fresh
   * entry and comes first: slow is not down, and a late hit still spares the caller the wait.
   */
  private CompletableFuture<CachedReply> orLateHit(CallRequest r, CompletableFuture<CachedReply> fetched, CompletableFuture<StoreAccess.Hit> late) {
    CompletableFuture<CachedReply> first = new CompletableFuture<>();
    late.thenAccept(hit -> {
      if (store.acceptable(r, hit) && !fetched.isDone() && first.complete(CachedReply.of(hit.value(), CachedReply.Source.CACHE, null))) {
        events.onHit(service, r.method());
      }
    });
    fetched.whenComplete((reply, error) -> {
      if (error == null) {
        first.complete(reply);
      } else {
        first.completeExceptionally(error);
      }
    });
    return first;
  }

  private CachedReply hit(CallRequest r, StoreAccess.Hit hit) {
    events.onHit(service, r.method());
    double fraction = r.policy().refreshAhead();
    if (fraction > 0 && r.policy().ttl() != null) {
      long refreshAt = hit.freshUntil() - (long) (r.policy().ttl().toMillis() * (1 - fraction));
      if (clock.millis() >= refreshAt && !refreshes.isFlying(r.key())) {
        refreshInBackground(r);
      }
    }
    return CachedReply.of(hit.value(), CachedReply.Source.CACHE, null);
  }

  /**
   * Calls the service and stores the reply. {@code settled} completes once the write is sent, or
   * with {@code awaitSave} (the lease on) once the store has it, and the result waits for that too,
   * so that the replicas waiting for this entry find it.
   */
  private CompletableFuture<CachedReply> callAndSave(CallRequest r, long seen, boolean awaitSave, CompletableFuture<Void> settled) {
    CompletableFuture<Object> call = rpc.call(r);
    call.whenComplete((v, e) -> {
      if (e != null) {
        settled.complete(null);
      }
    });
    // Off the delivery thread. The write is sent before the caller is answered, so that the next
    // caller (of this replica or another sharing the store) finds the reply: CacheFirst promises
    // that. With awaitSave the answer also waits until the store has it.
    return call.thenComposeAsync(value -> {
      StoreAccess.Hit fetched = store.fetched(r, value, seen);
      if (fetched != null) {
        store.remember(r.key(), fetched);
      }
      CompletableFuture<Void> saved = store.save(r, value, seen);
      CachedReply reply = CachedReply.of(value, CachedReply.Source.SERVICE, null);
      if (awaitSave) {
        saved.whenComplete((v, e) -> settled.complete(null));
        return saved.thenApplyAsync(v -> reply, executor);
      }
      // The write is sent: a lookup sent after it (Redis: the same connection, in order) finds
      // it, so the key is free for the next caller's lookup now, not once the store acknowledges.
      settled.complete(null);
      return CompletableFuture.completedFuture(reply);
    }, executor);
  }

  /** Refreshes an entry nearing its ttl while callers keep getting it: once per key in this process. */
  private void refreshInBackground(CallRequest r) {
    events.onRefreshAhead(service, r.method());
    long seen = store.seenNow();
    refreshes.join(r.key(), seen, started -> store.outdated(r, started), () -> {
      CompletableFuture<Void> settled = new CompletableFuture<>();
      CompletableFuture<Void> done = (lease == null ? callAndSave(r, seen, true, settled) : lease.refresh(r, seen, settled))
          .thenApply(x -> null);
      done.whenComplete((v, e) -> {
        settled.complete(null);
        if (e != null) {
          LOG.debug("background refresh of {}.{} failed: {}", service, r.method(), e.toString());
        }
      });
      return new SingleFlight.Flight<>(done, settled);
    });
  }

  /**
   * The opt-in cross-replica lease: one replica calls, the others poll the store for its entry for
   * at most {@code maxWait}, then call themselves. When the store cannot answer (down, circuit
   * open, too slow), the lease counts as granted: each process then calls once, never each caller.
   */
  private final class Lease {
    private static final long POLL_NANOS = 10_000_000;
    private final Duration ttl;
    private final Duration maxWait;
    private final ScheduledExecutorService scheduler;
    private final String owner = Ids.uuid();

    Lease(Duration ttl, Duration maxWait, ScheduledExecutorService scheduler) {
      this.ttl = ttl;
      this.maxWait = maxWait;
      this.scheduler = scheduler;
    }

    CompletableFuture<CachedReply> fetch(CallRequest r, long seen, CompletableFuture<Void> settled) {
      return store.tryLease(r.key(), owner, ttl).thenCompose(granted -> granted
          ? leased(r, seen, settled)
          : awaitEntry(r, System.nanoTime() + maxWait.toNanos()).thenCompose(found -> {
            if (found != null) {
              settled.complete(null);
              return CompletableFuture.completedFuture(CachedReply.of(found.value(), CachedReply.Source.CACHE, null));
            }
            return callAndSave(r, seen, false, settled);
          }));
    }

    /** Refresh-ahead with the lease: only the replica that gets it refreshes. */
    CompletableFuture<CachedReply> refresh(CallRequest r, long seen, CompletableFuture<Void> settled) {
      return store.tryLease(r.key(), owner, ttl).thenCompose(granted -> {
        if (!granted) {
          settled.complete(null);
          return CompletableFuture.completedFuture(null); // another replica is refreshing it
        }
        return callAndSave(r, seen, true, settled).whenComplete((v, e) -> store.releaseLease(r.key(), owner));
      });
    }

    /** We hold the lease: look once more (its previous holder may have just written), fetch, release. */
    private CompletableFuture<CachedReply> leased(CallRequest r, long seen, CompletableFuture<Void> settled) {
      return store.lookup(r).thenCompose(hit -> {
        if (store.fresh(hit)) {
          settled.complete(null);
          return CompletableFuture.completedFuture(CachedReply.of(hit.value(), CachedReply.Source.CACHE, null));
        }
        return callAndSave(r, seen, true, settled);
      }).whenComplete((v, e) -> store.releaseLease(r.key(), owner));
    }

    /** Polls for the entry another replica is fetching; null once the deadline passes. */
    private CompletableFuture<StoreAccess.Hit> awaitEntry(CallRequest r, long deadlineNanos) {
      CompletableFuture<StoreAccess.Hit> found = new CompletableFuture<>();
      poll(r, deadlineNanos, found);
      return found;
    }

    private void poll(CallRequest r, long deadlineNanos, CompletableFuture<StoreAccess.Hit> found) {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        found.complete(null);
        return;
      }
      scheduler.schedule(() -> OffThread.run(executor, () -> store.lookup(r).thenAccept(hit -> {
        if (store.fresh(hit)) {
          found.complete(hit);
        } else {
          poll(r, deadlineNanos, found);
        }
      })), Math.min(POLL_NANOS, left), TimeUnit.NANOSECONDS);
    }
  }
}
