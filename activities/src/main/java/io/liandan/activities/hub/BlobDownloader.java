// Downloads one file into the cache: resumable with Range, retried with backoff, hash-checked,
// renamed atomically.
package io.liandan.activities.hub;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bytes go to {@code blobs/<etag>.incomplete}, huggingface_hub's name, so a download killed with
 * the process (or started by Python) resumes from the file's length with {@code Range: bytes=N-}.
 * Connection failures, stalls, 408/429/5xx are retried with backoff, each retry resuming; an
 * attempt that moved the file forward resets the count. When all bytes are there they are checked
 * against the ETag ({@link ContentCheck}); a mismatch deletes the partial file, so the next try
 * starts clean. Only a verified, synced file is renamed to {@code blobs/<etag>}.
 *
 * <p>Callers hold the blob's lock ({@link HubCache#lockBlob}); this class does not lock.
 *
 * @param http the Hub's HTTP client
 * @param retry how often and how long apart failed attempts are retried
 */
public record BlobDownloader(HubHttp http, RetryPolicy retry) {
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)");

  /**
   * One file to fetch.
   *
   * @param url the file's resolve URL (pinned to a commit sha)
   * @param blob the final cache path, {@code blobs/<etag>}
   * @param check the ETag and size the bytes must match
   * @param file the repo-relative path, for messages and progress
   * @param where the repo and commit, for messages ("model org/name at 7ae5576…")
   * @param repoPage the repo's web page, for access-denied advice
   */
  public record Request(
      URI url, Path blob, ContentCheck check, String file, String where, String repoPage) {
    /** The file and where it is from, for messages: "config.json of model org/name at 7ae5576…". */
    String what() {
      return file + " of " + where;
    }
  }

  /** The partial file and the hash of exactly its bytes. */
  private static final class Partial {
    final Path path;
    ContentCheck.Hasher hasher;

    Partial(Path path, ContentCheck.Hasher hasher) {
      this.path = path;
      this.hasher = hasher;
    }
  }

  public void download(Request req, DownloadProgress progress) {
    Partial part = resume(req);
    long size = req.check().size();
    long furthest = part.hasher.count();
    progress.update(req.file(), furthest, size);
    for (int failures = 0; ; ) {
      if (size >= 0 && part.hasher.count() == size) break; // all there: killed before the rename
      String problem;
      try {
        if (fetch(req, part, progress)) break;
        problem = "the server ended the body early";
      } catch (InterruptedIOException e) {
        throw new HubException(
            HubException.Reason.NETWORK,
            "download of "
                + req.what()
                + " was interrupted; "
                + part.hasher.count()
                + " bytes are kept in "
                + part.path,
            e);
      } catch (IOException e) {
        problem = e.toString();
      }
      if (part.hasher.count() > furthest) {
        furthest = part.hasher.count();
        failures = 0; // progress was made: a new series of attempts
      }
      if (++failures >= retry.maxAttempts())
        throw new HubException(
            HubException.Reason.NETWORK,
            "download of "
                + req.what()
                + " failed "
                + failures
                + " times in a row (last: "
                + problem
                + "); "
                + part.hasher.count()
                + " bytes are kept in "
                + part.path
                + " and the next attempt resumes from there");
      try {
        retry.sleep(failures);
      } catch (InterruptedIOException e) {
        throw new HubException(HubException.Reason.NETWORK, "interrupted: " + req.file(), e);
      }
    }
    verifyAndMove(req, part);
  }

  // The partial file left by an earlier attempt or process, hashed so the check covers it too.
  private Partial resume(Request req) {
    Path path = HubCache.incompletePath(req.blob());
    try {
      Files.createDirectories(path.getParent());
      if (Files.exists(path)) {
        long have = Files.size(path);
        if (req.check().size() < 0 || have <= req.check().size())
          return new Partial(path, req.check().hashFile(path));
        Files.delete(path); // longer than the file can be: not ours to resume
      }
      return new Partial(path, req.check().newHasher());
    } catch (IOException e) {
      throw new HubException(HubException.Reason.LOCAL_IO, "cannot resume " + path, e);
    }
  }

  /**
   * One GET from the partial file's length. True when the body arrived in full; false when the
   * server ended it early without an error; IOException for anything worth retrying.
   */
  private boolean fetch(Request req, Partial part, DownloadProgress progress) throws IOException {
    long offset = part.hasher.count();
    long size = req.check().size();
    Map<String, String> headers =
        offset > 0
            ? Map.of("Accept-Encoding", "identity", "Range", "bytes=" + offset + "-")
            : Map.of("Accept-Encoding", "identity");
    HubHttp.Activity activity = new HubHttp.Activity();
    AtomicReference<FileSink> sink = new AtomicReference<>();
    HttpResponse<Long> r;
    try {
      r =
          http.send(
              "GET",
              req.url(),
              headers,
              info -> {
                int s = info.statusCode();
                boolean resumed = s == 206 && rangeStart(info.headers()) == offset;
                if (s != 200 && !resumed) return BodySubscribers.replacing(null);
                // A 200 to a Range request means the server cannot resume: start from zero.
                ContentCheck.Hasher h = resumed ? part.hasher : req.check().newHasher();
                FileSink f =
                    FileSink.open(
                        part.path,
                        resumed,
                        h,
                        count -> {
                          activity.touch();
                          progress.update(req.file(), count, size);
                        });
                sink.set(f);
                return f;
              },
              true,
              activity);
    } catch (UncheckedIOException e) {
      throw HubHttp.localIo("cannot write " + part.path, e);
    } finally {
      FileSink f = sink.get();
      if (f != null) {
        f.close();
        part.hasher = f.hasher();
        // A write that failed half-way leaves bytes the hasher has not seen: hash the file again.
        if (part.hasher.count() != Files.size(part.path)) {
          part.hasher = req.check().hashFile(part.path);
        }
      }
    }
    int s = r.statusCode();
    if (sink.get() != null) return size < 0 || part.hasher.count() >= size;
    if (s == 206 || s == 416) {
      // Resumed at another offset, or our partial file is not a prefix the server knows: the
      // partial data cannot be trusted, so start over.
      Files.deleteIfExists(part.path);
      part.hasher = req.check().newHasher();
      throw new IOException("HTTP " + s + " to Range bytes=" + offset + "- from " + r.uri());
    }
    if (HubHttp.isTransient(s)) throw new IOException("HTTP " + s + " from " + r.uri());
    throw http.failure(r, req.what(), req.repoPage());
  }

  private static long rangeStart(HttpHeaders headers) {
    return headers
        .firstValue("Content-Range")
        .map(CONTENT_RANGE::matcher)
        .filter(Matcher::matches)
        .map(m -> Long.parseLong(m.group(1)))
        .orElse(-1L);
  }

  private void verifyAndMove(Request req, Partial part) {
    ContentCheck check = req.check();
    long got = part.hasher.count();
    String expected;
    String actual;
    if (check.size() >= 0 && got != check.size()) {
      expected = check.size() + " bytes";
      actual = got + " bytes";
    } else {
      String hex = part.hasher.hex();
      String name = check.algorithm() == ContentCheck.Algorithm.SHA256 ? "sha256 " : "git sha1 ";
      expected = hex == null ? null : name + check.etag();
      actual = hex == null ? null : name + hex;
    }
    if (expected != null && !expected.equals(actual)) {
      try {
        Files.deleteIfExists(part.path);
      } catch (IOException e) {
        // reported below; the next attempt hashes the file again and fails the same way
      }
      throw new HubException(
          HubException.Reason.CHECKSUM_MISMATCH,
          String.format(
              "checksum mismatch for %s: expected %s, got %s; the partial download was deleted,"
                  + " a retry downloads it again",
              req.what(), expected, actual));
    }
    try {
      try (FileChannel c = FileChannel.open(part.path, StandardOpenOption.WRITE)) {
        c.force(true); // the rename must not reach the disk before the data
      }
      Files.move(part.path, req.blob(), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new HubException(
          HubException.Reason.LOCAL_IO, "cannot move " + part.path + " to " + req.blob(), e);
    }
  }
}
