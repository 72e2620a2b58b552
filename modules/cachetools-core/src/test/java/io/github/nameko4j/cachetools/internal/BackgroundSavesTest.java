package io.github.nameko4j.cachetools.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.nameko4j.cachetools.CacheDirectives;
import io.github.nameko4j.cachetools.CachePolicy;
import io.github.nameko4j.cachetools.CacheStore;
import io.github.nameko4j.cachetools.KryoValueCodec;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Replies stored in the background: one write per key at a time, the newest wins, lookups wait for it. */
class BackgroundSavesTest {
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final KryoValueCodec codec = KryoValueCodec.create();

  /** A store whose writes wait until the test lets them finish, one by one. */
  private final class SlowStore implements CacheStore {
    final List<String> written = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<Void>> puts = new CopyOnWriteArrayList<>();
    volatile byte[] stored;

    @Override
    public CompletableFuture<byte[]> get(String key) {
      return CompletableFuture.completedFuture(stored);
    }

    @Override
    public CompletableFuture<Void> put(String key, byte[] value, Duration ttl) {
      CompletableFuture<Void> put = new CompletableFuture<>();
      puts.add(put);
      return put.thenRun(() -> {
        stored = value;
        written.add((String) codec.decode(Entry.payload(value)));
      });
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
      stored = null;
      return CompletableFuture.completedFuture(null);
    }
  }

  @AfterEach
  void tearDown() {
    executor.shutdownNow();
    scheduler.shutdownNow();
  }

  @Test
  void aHotKeyOnASlowStoreWritesOneReplyAtATimeAndSkipsTheOnesOvertaken() {
    SlowStore store = new SlowStore();
    StoreAccess access = new StoreAccess("svc", store, codec, executor, scheduler, Duration.ofSeconds(5),
        Duration.ofSeconds(5), new SafeListener(null), Clock.systemUTC());
    CallRequest r = new CallRequest("m", List.of(), Map.of(), "k", CachePolicy.ofDefaults(), null, CacheInstrumentation.Observed.NONE,
        CacheDirectives.NONE);
    CompletableFuture<Void> first = access.saveInBackground(r, "reply 1", access.seenNow());
    await().atMost(Duration.ofSeconds(10)).until(() -> store.puts.size() == 1); // the first write is under way
    access.saveInBackground(r, "reply 2", access.seenNow());
    access.saveInBackground(r, "reply 3", access.seenNow());
    CompletableFuture<Void> last = access.saveInBackground(r, "reply 4", access.seenNow());
    CompletableFuture<StoreAccess.Hit> lookup = access.lookup(r);
    assertThat(lookup).isNotDone(); // a lookup waits for the pending writes

    store.puts.get(0).complete(null);
    await().atMost(Duration.ofSeconds(10)).until(() -> store.puts.size() == 2);
    store.puts.get(1).complete(null);
    last.orTimeout(10, TimeUnit.SECONDS).join();

    assertThat(first).isDone();
    assertThat(store.written).containsExactly("reply 1", "reply 4"); // 2 and 3 were overtaken while waiting
    assertThat(lookup.orTimeout(10, TimeUnit.SECONDS).join().value()).isEqualTo("reply 4");
  }
}
