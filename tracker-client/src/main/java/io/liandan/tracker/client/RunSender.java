package io.liandan.tracker.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.tracker.client.Transport.Reply;
import io.liandan.tracker.client.Wire.Point;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run's outgoing queue and the thread that empties it, in order: metric batches and other
 * writes (PATCH, samples, artifacts) are items numbered by a sequence; the thread sends the lowest
 * first, retrying with backoff. An item lives in memory or, once spilled, in a file of the run's
 * buffer folder; items spill when the tracker fails to answer (so an outage is on disk) and when
 * the memory bound is passed (so log() never waits). Not a public type: {@link RunHandle} is.
 */
final class RunSender implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(RunSender.class);

  /** A queued write: metric points, or one request (method + path under the run + JSON body). */
  private static final class Item {
    final long seq;
    final boolean metrics;
    List<Point> points; // metrics in memory; null once spilled
    final int size;
    String request; // "PATCH " or "POST /samples" …; null for metrics
    byte[] body; // the op's body in memory; null once spilled
    Path file; // set once on disk

    Item(long seq, List<Point> points) {
      this.seq = seq;
      this.metrics = true;
      this.points = points;
      this.size = points.size();
    }

    Item(long seq, String request, byte[] body) {
      this.seq = seq;
      this.metrics = false;
      this.request = request;
      this.body = body;
      this.size = 0;
    }

    Item(BufferFiles.Found f) {
      this.seq = f.seq();
      this.metrics = f.metrics();
      this.file = f.file();
      this.size = 0;
    }
  }

  private enum Outcome {
    SENT,
    REJECTED,
    RETRY
  }

  private final TrackerClientConfig config;
  private final Transport transport;
  private final Path runDir;
  private final Path rejectedDir;
  private final byte[] createBody; // POST /runs body; null when attached by id
  private final boolean adopted; // recovering a dead process's buffer: no new points come
  private final Transport.InFlight inflight = new Transport.InFlight();
  private final AtomicLong acknowledged = new AtomicLong();
  private final AtomicLong failedAttempts = new AtomicLong();
  volatile RunSender predecessor; // an adopted buffer of the same run, sent first
  private volatile long id;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<Item> pending = new ArrayDeque<>();
  private ArrayList<Point> current;
  private long currentSince;
  private long memoryPoints;
  private long nextSeq;
  private boolean dirReady;
  private boolean flushing;
  private boolean stopping;
  private boolean finished; // the thread has ended
  private long lastWrite = System.nanoTime();
  private boolean warnedClosed;
  private Thread thread;

  RunSender(
      TrackerClientConfig config,
      Transport transport,
      Path runDir,
      byte[] createBody,
      long id,
      boolean adopted) {
    this.config = config;
    this.transport = transport;
    this.rejectedDir = config.bufferDir().resolve(BufferFiles.REJECTED);
    this.runDir = runDir;
    this.createBody = createBody;
    this.id = id;
    this.adopted = adopted;
    this.current = new ArrayList<>(config.maxBatchPoints());
  }

  /** A dead process's run folder: its run.json and batches, to be sent before anything else. */
  static RunSender adopt(TrackerClientConfig config, Transport transport, Path runDir)
      throws IOException {
    JsonNode run = Wire.MAPPER.readTree(runDir.resolve(BufferFiles.RUN_FILE).toFile());
    long id = run.path("id").asLong(-1);
    byte[] create = run.hasNonNull("create") ? Wire.json(run.get("create")) : null;
    RunSender s = new RunSender(config, transport, runDir, create, id, true);
    s.dirReady = true;
    for (BufferFiles.Found f : BufferFiles.list(runDir)) {
      s.pending.addLast(new Item(f));
      s.nextSeq = f.seq() + 1;
    }
    return s;
  }

  /** project/key of the run this buffer belongs to, or null. */
  String runKey() {
    if (createBody == null) {
      return id >= 0 ? "#" + id : null;
    }
    try {
      JsonNode c = Wire.MAPPER.readTree(createBody);
      return c.path("project").asText() + "/" + c.path("key").asText();
    } catch (IOException e) {
      return null;
    }
  }

  void start(String name) {
    thread = new Thread(this, name);
    thread.setDaemon(true);
    thread.start();
  }

  long id() {
    return id;
  }

  void setId(long id) {
    this.id = id;
  }

  long acknowledgedPoints() {
    return acknowledged.get();
  }

  /** Requests that failed and were retried (network errors, 429, 5xx). */
  long failedAttempts() {
    return failedAttempts.get();
  }

  // ---- producers (the training thread) ----

  void log(Point p) {
    lock.lock();
    try {
      if (current.isEmpty()) {
        currentSince = System.nanoTime();
        // an idle thread sleeps until its next heartbeat: wake it to count the linger from now
        changed.signalAll();
      }
      current.add(p);
      memoryPoints++;
      if (stopping) {
        afterClose();
      } else if (current.size() >= config.maxBatchPoints()) {
        seal();
        if (memoryPoints > config.maxMemoryPoints()) {
          spill("more than " + config.maxMemoryPoints() + " points waiting in memory", true);
        }
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  void request(String method, String path, Object body) {
    byte[] json = Wire.json(body);
    lock.lock();
    try {
      seal(); // points logged before this write go first
      pending.addLast(new Item(nextSeq++, method + " " + path, json));
      if (stopping) {
        afterClose();
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Writes after close() go straight to disk, for the next process to send. */
  private void afterClose() {
    if (!warnedClosed) {
      warnedClosed = true;
      log.warn("run {}: written after the client closed; kept on disk for the next client", id);
    }
    seal();
    spill("client closed", true);
  }

  private void seal() {
    if (!current.isEmpty()) {
      pending.addLast(new Item(nextSeq++, current));
      current = new ArrayList<>(config.maxBatchPoints());
    }
  }

  /**
   * Writes every in-memory item to disk (call with the lock held). If the disk fails, the items
   * stay in memory, unless {@code mustFree} (memory bound passed, or the process ending): then they
   * are dropped and logged as lost.
   */
  private void spill(String why, boolean mustFree) {
    int files = 0;
    for (var it = pending.iterator(); it.hasNext(); ) {
      Item item = it.next();
      if (item.file != null) {
        continue;
      }
      try {
        ensureDir();
        Path f = BufferFiles.itemFile(runDir, item.seq, item.metrics);
        if (item.metrics) {
          BufferFiles.writeRenamed(f, Wire.lines(item.points));
          memoryPoints -= item.size;
          item.points = null;
        } else {
          BufferFiles.writeRenamed(
              f, (item.request + "\n").getBytes(StandardCharsets.UTF_8), item.body);
          item.body = null;
        }
        item.file = f;
        files++;
      } catch (IOException | RuntimeException e) {
        if (!mustFree) {
          log.error("run {}: cannot write the tracker buffer {}: {}", id, runDir, e.toString());
          break; // kept in memory; tried again at the next failure
        }
        // the disk is full or gone: the one case where points are lost
        log.error(
            "run {}: cannot write the tracker buffer {} ({}); {} points of batch {} are lost",
            id,
            runDir,
            e.toString(),
            item.size,
            item.seq);
        memoryPoints -= item.metrics && item.points != null ? item.size : 0;
        it.remove();
      }
    }
    if (files > 0) {
      BufferFiles.syncDir(runDir); // one fsync of the folder makes every rename above durable
      log.debug("run {}: {} batches spilled to {} ({})", id, files, runDir, why);
    }
  }

  private void ensureDir() throws IOException {
    if (dirReady) {
      return;
    }
    Files.createDirectories(runDir);
    writeRunFile();
    // the new folders' own entries, so that a power cut, not only a kill, keeps them
    BufferFiles.syncDir(runDir.getParent());
    BufferFiles.syncDir(runDir.getParent().getParent());
    dirReady = true;
  }

  private void writeRunFile() throws IOException {
    ObjectNode run = Wire.MAPPER.createObjectNode();
    if (id >= 0) {
      run.put("id", id);
    }
    if (createBody != null) {
      run.set("create", Wire.MAPPER.readTree(createBody));
    }
    BufferFiles.writeDurably(runDir.resolve(BufferFiles.RUN_FILE), Wire.json(run));
  }

  // ---- lifecycle ----

  /** Waits until everything queued so far is acknowledged (or rejected); false on timeout. */
  boolean flush(long deadlineNanos) {
    lock.lock();
    try {
      flushing = true;
      seal();
      changed.signalAll();
      while (!pending.isEmpty() && !finished) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.awaitNanos(left);
      }
      return pending.isEmpty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      flushing = false;
      lock.unlock();
    }
  }

  /**
   * Writes every item not yet acknowledged that is only in memory (the partial batch too) to the
   * buffer folder, fsync'd, and returns without waiting for the server: from then on a killed
   * process loses none of it (the next client on the folder sends it). The thread goes on sending,
   * from the files, and deletes each once acknowledged; an item in flight is written too, and its
   * file deleted when its reply comes. True when everything queued is on disk; false if the disk
   * refused (the items stay in memory).
   */
  boolean persist() {
    lock.lock();
    try {
      seal();
      spill("persisted", false);
      changed.signalAll();
      for (Item item : pending) {
        if (item.file == null) {
          return false;
        }
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Stops the thread; what is not acknowledged stays on disk. */
  void stop() {
    changeAndSignal(() -> stopping = true);
    inflight.cancel();
    if (thread != null) {
      try {
        thread.join(config.requestTimeout().toMillis() + 1_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    spillNow("client closed");
  }

  /** Everything in memory to disk, now (shutdown hook, close). */
  void spillNow(String why) {
    lock.lock();
    try {
      seal();
      spill(why, true);
      if (pending.isEmpty() && dirReady && !adopted) {
        BufferFiles.deleteIfOnly(runDir, BufferFiles.RUN_FILE);
        dirReady = false;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Nothing left to send here, nor in the buffers of the same run this one waits for. */
  boolean drained() {
    lock.lock();
    try {
      if (!pending.isEmpty() || !current.isEmpty()) {
        return false;
      }
    } finally {
      lock.unlock();
    }
    RunSender before = predecessor; // always an older buffer: locks are taken newer → older
    return before == null || before.drained();
  }

  /** The thread has ended (an adopted buffer ends once sent). */
  boolean ended() {
    lock.lock();
    try {
      return finished;
    } finally {
      lock.unlock();
    }
  }

  // ---- the sender thread ----

  /** What the sender thread does next: send the oldest item, or refresh the run's heartbeat. */
  private record Next(Item item) {
    static final Next HEARTBEAT = new Next(null);
  }

  @Override
  public void run() {
    int failures = 0;
    try {
      for (Next next = awaitNext(); next != null; next = awaitNext()) {
        if (next == Next.HEARTBEAT) {
          heartbeat();
        } else {
          failures = settle(next.item(), attempt(next.item()), failures);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("run {}: the tracker sender stopped; unsent batches stay in {}", id, runDir, e);
    } finally {
      markFinished();
    }
  }

  /**
   * Waits until there is something to send (the oldest item, once any predecessor has drained) or a
   * heartbeat is due, sealing the current batch when it has lingered long enough or a flush asks;
   * null when the thread should end (stopping, or an adopted buffer fully sent).
   */
  private Next awaitNext() throws InterruptedException {
    lock.lock();
    try {
      while (true) {
        if (stopping) {
          return null;
        }
        RunSender before = predecessor;
        if (before != null && before.drained()) {
          predecessor = before = null;
        }
        long now = System.nanoTime();
        if (!pending.isEmpty() && before == null) {
          return new Next(pending.peekFirst());
        }
        if (pending.isEmpty() && adopted) {
          BufferFiles.deleteIfOnly(runDir, BufferFiles.RUN_FILE);
          return null;
        }
        long lingerLeft = config.linger().toNanos() - (now - currentSince);
        if (pending.isEmpty() && !current.isEmpty() && (flushing || lingerLeft <= 0)) {
          seal();
          continue;
        }
        long beatLeft = config.heartbeatInterval().toNanos() - (now - lastWrite);
        if (id >= 0 && beatLeft <= 0 && before == null) {
          return Next.HEARTBEAT;
        }
        long wait = id >= 0 ? beatLeft : TimeUnit.SECONDS.toNanos(1);
        if (!current.isEmpty()) {
          wait = Math.min(wait, lingerLeft);
        }
        if (before != null) {
          wait = Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100));
        }
        changed.awaitNanos(Math.max(wait, TimeUnit.MILLISECONDS.toNanos(1)));
      }
    } finally {
      lock.unlock();
    }
  }

  /** An empty PATCH, so that the tracker sees the run alive while nothing else is sent. */
  private void heartbeat() {
    Reply r = transport.send("PATCH", "/runs/" + id, "{}".getBytes(), inflight);
    lastWrite = System.nanoTime();
    log.debug("run {}: heartbeat {}", id, r);
  }

  /** One delivery of {@code item}; a failure to reach the tracker is a retry. */
  private Outcome attempt(Item item) {
    try {
      return deliver(item);
    } catch (IOException | RuntimeException e) {
      log.warn("run {}: sending batch {} failed, will retry: {}", id, item.seq, e.toString());
      return Outcome.RETRY;
    }
  }

  /**
   * After an attempt: a retry spills the queue to disk and backs off (a stop cuts the wait short);
   * anything else drops the item from the queue and its file. Returns the consecutive failures.
   */
  private int settle(Item item, Outcome o, int failures) throws InterruptedException {
    lock.lock();
    try {
      if (o == Outcome.RETRY) {
        failures++;
        failedAttempts.incrementAndGet();
        spill("the tracker did not answer", false);
        long wait = Transport.backoffMillis(config, failures - 1);
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wait);
        while (!stopping && System.nanoTime() < until) {
          changed.awaitNanos(until - System.nanoTime());
        }
        return failures;
      }
      if (failures > 0) {
        log.info("run {}: the tracker answers again after {} failed attempts", id, failures);
      }
      lastWrite = System.nanoTime();
      pending.remove(item);
      if (item.points != null) {
        memoryPoints -= item.size;
      }
      deleteQuietly(item.file);
      changed.signalAll();
      return 0;
    } finally {
      lock.unlock();
    }
  }

  private void markFinished() {
    changeAndSignal(() -> finished = true);
  }

  /** Makes {@code change} under the lock and wakes whoever waits for a change. */
  private void changeAndSignal(Runnable change) {
    lock.lock();
    try {
      change.run();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Sends one item (creating the run first if needed). */
  private Outcome deliver(Item item) throws IOException {
    if (id < 0) {
      Outcome created = create();
      if (created == Outcome.RETRY) {
        return created;
      }
      if (created == Outcome.REJECTED) {
        return reject(item, "the run could not be created (see rejected/ for the reason)");
      }
    }
    List<Point> points;
    byte[] opBody;
    Path file;
    lock.lock();
    try {
      points = item.points;
      opBody = item.body;
      file = item.file;
    } finally {
      lock.unlock();
    }
    String method;
    String path;
    byte[] body;
    int count;
    if (item.metrics) {
      method = "POST";
      path = "/runs/" + id + "/metrics";
      if (points != null) {
        body = Wire.metricsBody(Wire.lines(points));
        count = points.size();
      } else {
        byte[] lines = readOrNull(file);
        if (lines == null) {
          return Outcome.REJECTED;
        }
        body = Wire.metricsBody(lines);
        count = countLines(lines);
      }
    } else {
      String request;
      if (opBody != null) {
        request = item.request;
        body = opBody;
      } else {
        byte[] all = readOrNull(file);
        if (all == null) {
          return Outcome.REJECTED;
        }
        int nl = indexOf(all, (byte) '\n');
        request = new String(all, 0, nl, StandardCharsets.UTF_8);
        body = java.util.Arrays.copyOfRange(all, nl + 1, all.length);
      }
      int sp = request.indexOf(' ');
      method = request.substring(0, sp);
      path = "/runs/" + id + request.substring(sp + 1);
      count = 0;
    }
    Reply r = transport.send(method, path, body, inflight);
    if (r.ok()) {
      acknowledged.addAndGet(count);
      return Outcome.SENT;
    }
    if (r.retryable()) {
      log.warn("run {}: {} {} failed, will retry: {}", id, method, path, r);
      return Outcome.RETRY;
    }
    log.error("run {}: {} {} rejected, not retried: {}", id, method, path, r);
    writeRejected(item.seq, item.metrics, method + " " + path + " → " + r, body);
    return Outcome.REJECTED;
  }

  private Outcome create() throws IOException {
    Reply r = transport.send("POST", "/runs", createBody, inflight);
    if (r.ok()) {
      long created = Wire.MAPPER.readTree(r.body()).path("id").asLong(-1);
      lock.lock();
      try {
        id = created;
        if (dirReady) {
          try {
            writeRunFile();
          } catch (IOException e) {
            // run.json keeps the create request; creating again resumes the same run
            log.warn("run {}: cannot update {}: {}", created, runDir, e.toString());
          }
        }
      } finally {
        lock.unlock();
      }
      log.info("run {} created (or resumed) from the buffer", created);
      return Outcome.SENT;
    }
    if (r.retryable()) {
      log.warn("creating a run failed, will retry: {}", r);
      return Outcome.RETRY;
    }
    log.error("creating a run was rejected, its batches go to rejected/: {}", r);
    writeRejected(-1, false, "POST /runs → " + r, createBody);
    return Outcome.REJECTED;
  }

  private Outcome reject(Item item, String why) throws IOException {
    byte[] body;
    if (item.file != null) {
      body = Files.readAllBytes(item.file);
    } else if (item.metrics) {
      body = Wire.lines(item.points);
    } else {
      body = item.body;
    }
    writeRejected(item.seq, item.metrics, why, body);
    return Outcome.REJECTED;
  }

  /** rejected/<client>-<run folder>-<seq>.json + .reason: kept for a person, never retried. */
  private void writeRejected(long seq, boolean metrics, String reason, byte[] body) {
    try {
      Files.createDirectories(rejectedDir);
      String name =
          runDir.getParent().getFileName()
              + "-"
              + runDir.getFileName()
              + "-"
              + (seq < 0 ? "create" : seq);
      BufferFiles.writeDurably(rejectedDir.resolve(name + (metrics ? ".jsonl" : ".json")), body);
      BufferFiles.writeDurably(
          rejectedDir.resolve(name + ".reason"), (reason + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      log.error("run {}: cannot write {}: {}", id, rejectedDir, e.toString());
    }
  }

  /** A buffer file's bytes; an unreadable one is kept in rejected/ (null). */
  private byte[] readOrNull(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      log.error("run {}: unreadable buffer file {}: {}", id, file, e.toString());
      try {
        Files.createDirectories(rejectedDir);
        Files.move(
            file,
            rejectedDir.resolve(
                runDir.getParent().getFileName()
                    + "-"
                    + runDir.getFileName()
                    + "-"
                    + file.getFileName()),
            StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException | RuntimeException e2) {
        // nothing more to do with it
      }
      return null;
    }
  }

  private void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        log.warn("run {}: cannot delete the sent batch {}: {}", id, file, e.toString());
      }
    }
  }

  private static int countLines(byte[] b) {
    int n = 0;
    for (byte c : b) {
      if (c == '\n') {
        n++;
      }
    }
    return n;
  }

  private static int indexOf(byte[] b, byte c) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return b.length;
  }
}
