package io.liandan.tracker.client;

import io.liandan.tracker.client.Transport.Reply;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tracker's Java client: creates or resumes runs by key and logs to them without ever blocking
 * or failing the caller on the tracker's account.
 *
 * <pre>
 * try (TrackerClient tracker = TrackerClient.open(TrackerClientConfig.of(url, token))) {
 *   RunHandle run = tracker.run(RunSpec.of("qwen-sft", workflowId + "/sft"));
 *   run.log("train/loss", step, loss);      // queued; sent in batches by a background thread
 *   run.finish();
 * }                                         // close(): waits (bounded) for everything to be sent
 * </pre>
 *
 * <p>Guarantees: every point log() accepts is, at any time, acknowledged by the server, queued in
 * memory (at most {@code maxMemoryPoints} per run, a second or so of logging), or in a fsync'd file
 * of the buffer folder; an outage moves the queue to disk, {@link RunHandle#persist} moves it there
 * on demand (before a training checkpoint), and close() leaves on disk whatever it could not send
 * in time, for the next client on the same buffer folder to send at its start (or at its next
 * {@link #run}, if it was already open). Only a full disk, or the process being killed with points
 * still in memory (logged after the last persist), loses points. Network errors, 429 and 5xx are
 * retried with exponential backoff and jitter; other 4xx are logged and the batch is written to
 * {@code rejected/}, never retried. Re-sending is safe because the server is idempotent on (run,
 * key, step). Not here: reading back (use the HTTP API).
 */
public final class TrackerClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TrackerClient.class);
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss");
  private static final String NEW = ".new";

  /**
   * Client folders whose lock some client of this JVM holds. Adoption never opens their lock file:
   * on Linux closing any descriptor of a file drops the process's lock on it, which would let
   * another process adopt a live folder.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final TrackerClientConfig config;
  private final Transport transport;
  private final Path clientDir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final List<RunSender> own = new CopyOnWriteArrayList<>();
  private final List<Adopted> adopted = new ArrayList<>();
  private final Map<String, RunSender> adoptedByRun = new ConcurrentHashMap<>();
  private final AtomicInteger runs = new AtomicInteger();
  private final Thread shutdownHook;
  private boolean closed;

  /** A dead client's folder this one holds the lock of while sending what it left. */
  private record Adopted(Path dir, FileChannel channel, FileLock lock, List<RunSender> senders) {}

  private TrackerClient(TrackerClientConfig config) throws IOException {
    this.config = config;
    this.transport = new Transport(config);
    Path root = config.bufferDir();
    Files.createDirectories(root);
    String name =
        "c-"
            + LocalDateTime.now(ZoneOffset.UTC).format(STAMP)
            + "-"
            + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
    // made under a name adoptLeftovers skips, locked, then renamed: another client never sees
    // this folder unlocked, so never takes a live client's folder for a dead one's
    Path fresh = root.resolve(name + NEW);
    Files.createDirectories(fresh);
    this.lockChannel =
        FileChannel.open(
            fresh.resolve(BufferFiles.LOCK_FILE),
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
    this.lock = lockChannel.lock();
    this.clientDir = root.resolve(name);
    Files.move(fresh, clientDir, StandardCopyOption.ATOMIC_MOVE);
    HELD.add(clientDir.toAbsolutePath().normalize());
    adoptLeftovers();
    this.shutdownHook = new Thread(this::spillAll, "tracker-client-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * A client on {@code config}'s buffer folder; batches left there by clients that are no longer
   * running start being sent at once, in their order. Throws only if the folder cannot be created.
   */
  public static TrackerClient open(TrackerClientConfig config) {
    try {
      return new TrackerClient(config);
    } catch (IOException e) {
      throw new UncheckedIOException("tracker buffer folder " + config.bufferDir(), e);
    }
  }

  /**
   * Creates the run, or resumes the one with the same project and key ({@code POST /api/v1/runs}).
   * Tries for up to {@code createTimeout}; if the tracker stays unreachable, the handle buffers and
   * the run is created when it answers again (its {@link RunHandle#id()} is empty until then).
   * Buffers that clients gone since this one opened left in the folder (a worker killed after
   * {@link RunHandle#persist}, whose stage this process now resumes) are adopted first, and the
   * run's own are sent before its new writes.
   */
  public synchronized RunHandle run(RunSpec spec) {
    checkOpen();
    adoptLeftovers();
    byte[] body = Wire.json(spec);
    RunSender s = newSender(body, -1);
    long deadline = System.nanoTime() + config.createTimeout().toNanos();
    for (int attempt = 0; ; attempt++) {
      Reply r = transport.send("POST", "/runs", body, null);
      if (r.ok()) {
        try {
          s.setId(Wire.MAPPER.readTree(r.body()).path("id").asLong(-1));
        } catch (IOException e) {
          log.warn("unreadable reply to POST /runs: {}", r.body());
        }
        break;
      }
      long wait = Transport.backoffMillis(config, attempt);
      if (!r.retryable() || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wait) > deadline) {
        log.warn(
            "run {}/{}: not created yet ({}); logging to the buffer, the sender will retry",
            spec.project(),
            spec.key(),
            r);
        break;
      }
      sleep(wait);
    }
    s.predecessor = adoptedByRun.get(spec.project() + "/" + spec.key());
    if (s.predecessor == null && s.id() >= 0) {
      s.predecessor = adoptedByRun.get("#" + s.id());
    }
    s.start("tracker-run-" + (s.id() >= 0 ? s.id() : spec.key()));
    own.add(s);
    return new TrackedRun(s);
  }

  /** A handle on a run created elsewhere, by id (no create-or-resume). */
  public synchronized RunHandle attach(long runId) {
    checkOpen();
    adoptLeftovers();
    RunSender s = newSender(null, runId);
    s.predecessor = adoptedByRun.get("#" + runId);
    s.start("tracker-run-" + runId);
    own.add(s);
    return new TrackedRun(s);
  }

  private RunSender newSender(byte[] createBody, long id) {
    Path runDir = clientDir.resolve(String.format("run-%04d", runs.incrementAndGet()));
    return new RunSender(config, transport, runDir, createBody, id, false);
  }

  /**
   * Folders of clients that are gone (their lock is free): adopt them and send what they left,
   * oldest folder first; an adopted buffer of a run waits for an older one of the same run. Also
   * lets go of adopted folders that are sent. Never throws: a folder it cannot read is left there.
   */
  private void adoptLeftovers() {
    for (var it = adopted.iterator(); it.hasNext(); ) {
      Adopted a = it.next();
      if (a.senders().stream().allMatch(RunSender::ended)) {
        release(a.dir(), a.channel(), a.lock());
        it.remove();
      }
    }
    List<Path> dirs;
    try (Stream<Path> s = Files.list(config.bufferDir())) {
      dirs = s.filter(Files::isDirectory).sorted().toList();
    } catch (IOException e) {
      log.warn("cannot list the tracker buffer {}: {}", config.bufferDir(), e.toString());
      return;
    }
    for (Path dir : dirs) {
      String name = dir.getFileName().toString();
      if (HELD.contains(dir.toAbsolutePath().normalize())
          || name.equals(BufferFiles.REJECTED)
          || name.endsWith(NEW)) {
        continue;
      }
      try {
        adopt(dir);
      } catch (IOException e) {
        log.warn("cannot adopt the tracker buffer {}: {}", dir, e.toString());
      }
    }
  }

  private void adopt(Path dir) throws IOException {
    FileChannel ch;
    try {
      ch =
          FileChannel.open(
              dir.resolve(BufferFiles.LOCK_FILE),
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE);
    } catch (NoSuchFileException e) {
      return; // its client, or another that adopted it, deleted it since the listing
    }
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null; // a client of this JVM took it since the check above
    }
    if (l == null) {
      ch.close();
      return;
    }
    if (!Files.isDirectory(dir)) { // released (deleted) by its adopter between open and lock
      l.release();
      ch.close();
      return;
    }
    List<RunSender> senders = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path runDir : s.filter(Files::isDirectory).sorted().toList()) {
        if (!Files.exists(runDir.resolve(BufferFiles.RUN_FILE))) {
          BufferFiles.deleteIfOnly(runDir);
          continue;
        }
        try {
          senders.add(RunSender.adopt(config, transport, runDir));
        } catch (IOException e) {
          log.error("cannot read the tracker buffer {}: {}", runDir, e.toString());
        }
      }
    } catch (IOException | RuntimeException e) {
      l.release();
      ch.close();
      throw e;
    }
    for (RunSender sender : senders) {
      String key = sender.runKey();
      if (key != null) {
        RunSender older = adoptedByRun.put(key, sender);
        if (older != null && !older.drained()) {
          sender.predecessor = older; // the same run killed twice: the older buffer goes first
        }
      }
    }
    log.info("sending {} run buffers left by an earlier client in {}", senders.size(), dir);
    for (RunSender sender : senders) {
      sender.start("tracker-recover-" + dir.getFileName() + "-" + sender.runKey());
    }
    HELD.add(dir.toAbsolutePath().normalize());
    adopted.add(new Adopted(dir, ch, l, senders));
  }

  /**
   * Waits up to {@code closeTimeout} for every run's queue and buffer to drain, then stops; what
   * was not sent stays on disk. Never throws.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long deadline = System.nanoTime() + config.closeTimeout().toNanos();
    List<RunSender> all = new ArrayList<>(own);
    adopted.forEach(a -> all.addAll(a.senders()));
    boolean drained = true;
    for (RunSender s : all) {
      drained &= s.flush(deadline);
    }
    for (RunSender s : all) {
      s.stop();
    }
    if (!drained) {
      log.warn(
          "tracker at {} unreachable: unsent batches stay in {} for the next client",
          config.baseUrl(),
          config.bufferDir());
    }
    release(clientDir, lockChannel, lock);
    for (Adopted a : adopted) {
      release(a.dir(), a.channel(), a.lock());
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down already
    }
  }

  /** Deletes the client folder if no run folder is left in it, then lets go of its lock. */
  private static void release(Path dir, FileChannel channel, FileLock lock) {
    try {
      try (Stream<Path> s = Files.list(dir)) {
        if (s.noneMatch(Files::isDirectory)) {
          Files.deleteIfExists(dir.resolve(BufferFiles.LOCK_FILE));
          Files.deleteIfExists(dir);
        }
      }
    } catch (IOException e) {
      // left for the next client to clean up
    }
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // closing a lock file cannot lose data
    }
    HELD.remove(dir.toAbsolutePath().normalize());
  }

  private void spillAll() {
    for (RunSender s : own) {
      s.spillNow("the JVM is exiting");
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the tracker client is closed");
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
