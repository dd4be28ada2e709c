// The on-disk cache, in huggingface_hub's layout, so that Python and Java share downloads both
// ways.
package io.liandan.activities.hub;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Paths and the few writes of the cache. The layout is huggingface_hub's (file_download.py):
 *
 * <pre>
 * $HF_HUB_CACHE/
 *   models--Qwen--Qwen2.5-0.5B-Instruct/        datasets--org--name/ for datasets
 *     blobs/&lt;etag&gt;                               file contents, named by sha256 (LFS) or git sha1
 *     blobs/&lt;etag&gt;.incomplete                    a download in progress, resumed from its length
 *     refs/main                                  the commit sha the revision last resolved to
 *     snapshots/&lt;commit&gt;/config.json             → ../../blobs/&lt;etag&gt; (relative symlink)
 *     snapshots/&lt;commit&gt;/data/train.jsonl         → ../../../blobs/&lt;etag&gt;
 *   .locks/models--Qwen--Qwen2.5-0.5B-Instruct/&lt;etag&gt;.lock
 * </pre>
 *
 * A snapshot folder is what transformers' {@code from_pretrained} and this project's loaders read.
 */
public final class HubCache {
  static final Pattern COMMIT_SHA = Pattern.compile("[0-9a-f]{40}");
  // One holder per lock file inside this JVM: FileChannel.lock is per process, and a second
  // lock() on the same file from this JVM would throw instead of waiting.
  private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS =
      new ConcurrentHashMap<>();

  private final Path root;

  public HubCache(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  public Path repoDir(HubRepo repo) {
    return root.resolve(repo.cacheFolderName());
  }

  public Path blobPath(HubRepo repo, String etag) {
    return repoDir(repo).resolve("blobs").resolve(etag);
  }

  /** Where a blob grows while it downloads, exactly huggingface_hub's name for it. */
  public static Path incompletePath(Path blob) {
    return blob.resolveSibling(blob.getFileName() + ".incomplete");
  }

  public Path snapshotDir(HubRepo repo, String commit) {
    return repoDir(repo).resolve("snapshots").resolve(commit);
  }

  /** The snapshot entry of a repo file; paths that would leave the snapshot are refused. */
  public Path pointerPath(HubRepo repo, String commit, String file) {
    Path dir = snapshotDir(repo, commit);
    Path p = dir.resolve(file).normalize();
    if (file.isEmpty()
        || file.startsWith("/")
        || ("/" + file + "/").contains("/../")
        || ("/" + file + "/").contains("/./")
        || !p.startsWith(dir)
        || p.equals(dir))
      throw new HubException(
          HubException.Reason.PROTOCOL, "refusing file name '" + file + "' listed in " + repo);
    return p;
  }

  /**
   * The commit a revision names, from the cache alone: a 40-hex sha names itself, a branch or tag
   * is read from {@code refs/<revision>}.
   */
  public Optional<String> cachedCommit(HubRepo repo, String revision) {
    if (COMMIT_SHA.matcher(revision).matches()) return Optional.of(revision);
    Path ref = repoDir(repo).resolve("refs").resolve(revision);
    if (!Files.isRegularFile(ref)) return Optional.empty();
    try {
      String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
      return COMMIT_SHA.matcher(commit).matches() ? Optional.of(commit) : Optional.empty();
    } catch (IOException e) {
      throw new HubException(HubException.Reason.LOCAL_IO, "cannot read " + ref, e);
    }
  }

  /**
   * Records that {@code revision} resolved to {@code commit} (no newline, as Python writes it);
   * skipped when the revision is the commit or the ref is already current, so that a read-only
   * shared cache still works.
   */
  public void writeRef(HubRepo repo, String revision, String commit) {
    if (revision.equals(commit) || cachedCommit(repo, revision).filter(commit::equals).isPresent())
      return;
    Path ref = repoDir(repo).resolve("refs").resolve(revision);
    try {
      Files.createDirectories(ref.getParent());
      Path tmp = ref.resolveSibling(ref.getFileName() + "." + UUID.randomUUID() + ".tmp");
      Files.writeString(tmp, commit, StandardCharsets.UTF_8);
      Files.move(tmp, ref, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new HubException(HubException.Reason.LOCAL_IO, "cannot write " + ref, e);
    }
  }

  /**
   * Points a snapshot entry at a blob with a relative symlink ({@code ../../blobs/<etag>}, one more
   * {@code ../} per folder level), so the cache survives being moved. Made under a temporary name
   * and renamed over the entry, so a reader never sees it half-made. Where the file system has no
   * symlinks the blob is copied, as huggingface_hub does.
   */
  public void link(Path blob, Path pointer) {
    try {
      Files.createDirectories(pointer.getParent());
      Path tmp = pointer.resolveSibling(pointer.getFileName() + "." + UUID.randomUUID() + ".tmp");
      try {
        Files.createSymbolicLink(tmp, pointer.getParent().relativize(blob));
      } catch (UnsupportedOperationException | FileSystemException e) {
        Files.deleteIfExists(tmp);
        Files.copy(blob, tmp);
      }
      Files.move(tmp, pointer, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new HubException(
          HubException.Reason.LOCAL_IO, "cannot link " + pointer + " to " + blob, e);
    }
  }

  /** The repo-relative paths ({@code data/train.jsonl}) of the readable files of a snapshot. */
  public List<String> snapshotFiles(Path snapshot) {
    try (Stream<Path> s = Files.walk(snapshot)) {
      return s.filter(Files::isRegularFile) // follows the symlinks: a broken one is not a file
          .map(p -> snapshot.relativize(p).toString().replace('\\', '/'))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new HubException(HubException.Reason.LOCAL_IO, "cannot list " + snapshot, e);
    }
  }

  /** An exclusive lock on one blob of one repo, between threads and between processes. */
  public interface BlobLock extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Locks {@code .locks/<repo folder>/<etag>.lock}, the file huggingface_hub locks, so that two
   * workers on one machine (a Temporal retry while the old attempt still runs) never write the same
   * {@code .incomplete}. Between JVMs this is a POSIX record lock; Python's filelock uses flock,
   * which Linux keeps separate, so it excludes Java from Java only.
   */
  public BlobLock lockBlob(HubRepo repo, String etag) {
    Path file = root.resolve(".locks").resolve(repo.cacheFolderName()).resolve(etag + ".lock");
    ReentrantLock inProcess = IN_PROCESS.computeIfAbsent(file, f -> new ReentrantLock());
    try {
      inProcess.lockInterruptibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HubException(HubException.Reason.NETWORK, "interrupted waiting for " + file, e);
    }
    try {
      Files.createDirectories(file.getParent());
      FileChannel channel =
          FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.lock();
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      return () -> {
        try {
          lock.release();
          channel.close();
        } catch (IOException ignored) {
          // closing the channel releases the lock in any case
        } finally {
          inProcess.unlock();
        }
      };
    } catch (IOException | RuntimeException e) {
      inProcess.unlock();
      if (e instanceof HubException h) throw h;
      throw new HubException(HubException.Reason.LOCAL_IO, "cannot lock " + file, e);
    }
  }
}
