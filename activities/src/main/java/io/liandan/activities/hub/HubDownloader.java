// The download service: a source in, a folder out (a cache snapshot, or the local folder as given).
package io.liandan.activities.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * huggingface_hub's {@code snapshot_download} in Java: list the revision's files, keep those the
 * patterns select, fetch each one missing from the cache, link it into {@code snapshots/<commit>/},
 * record {@code refs/<revision>}, and return the snapshot folder.
 *
 * <p>Files are fetched with the commit sha in their URL, so a branch that moves mid-download cannot
 * mix two commits. A file already in the snapshot (also one Python put there) is not fetched; a
 * blob already in {@code blobs/} (the same content at another revision) is linked, not fetched.
 * Existing blobs are trusted, as huggingface_hub trusts them: only new downloads are hashed.
 *
 * <p>Offline ({@code HF_HUB_OFFLINE=1}) the revision is resolved through {@code refs/} and the
 * snapshot served without any network call. Online, if the Hub cannot be reached at all, the cached
 * snapshot is served too (as huggingface_hub does); a denied or missing repo is not papered over.
 *
 * @param env the Hub's environment: endpoint, token, offline
 * @param api the Hub's listing and metadata calls
 * @param cache the huggingface_hub cache the snapshot is built in
 * @param blobs what fetches a missing file into {@code blobs/}
 */
public record HubDownloader(HubEnv env, HubApi api, HubCache cache, BlobDownloader blobs) {

  /** The usual wiring: default timeouts and retries, the cache that {@code env} names. */
  public static HubDownloader create(HubEnv env) {
    HubHttp http = new HubHttp(env);
    RetryPolicy retry = RetryPolicy.defaults();
    return new HubDownloader(
        env,
        new HubApi(http, retry),
        new HubCache(env.hubCache()),
        new BlobDownloader(http, retry));
  }

  /** Downloads the files matching any of {@code allowPatterns} (all files if none are given). */
  public Path download(SourceSpec source, String... allowPatterns) {
    GlobPatterns patterns =
        allowPatterns.length == 0 ? GlobPatterns.ALL : GlobPatterns.allow(allowPatterns);
    return download(source, patterns, DownloadProgress.NONE);
  }

  public Path download(SourceSpec source, GlobPatterns patterns) {
    return download(source, patterns, DownloadProgress.NONE);
  }

  /**
   * The folder holding the source's files: for a Hub source {@code $HF_HUB_CACHE/<repo
   * folder>/snapshots/<commit>}, for a local source its path (a file or folder, returned absolute;
   * patterns do not apply to it).
   *
   * @throws HubException naming the repo, revision and file, with {@link HubException#retryable()}
   *     telling whether trying again can help
   */
  public Path download(SourceSpec source, GlobPatterns patterns, DownloadProgress progress) {
    if (source.isLocal()) return local(source.localPath());
    HubRepo repo = source.repo();
    String revision = source.revision();
    if (env.offline()) return fromCache(repo, revision, patterns, null);
    RepoInfo info;
    try {
      info = api.repoInfo(repo, revision);
    } catch (HubException e) {
      if (e.reason() != HubException.Reason.NETWORK) throw e;
      return fromCache(repo, revision, patterns, e);
    }
    return fetchSnapshot(repo, revision, info, patterns, progress);
  }

  private static Path local(Path path) {
    if (!Files.exists(path))
      throw new HubException(
          HubException.Reason.NOT_FOUND,
          "local source "
              + path.toAbsolutePath()
              + " does not exist (for a Hub repo write hf:org/name)");
    return path.toAbsolutePath().normalize();
  }

  private Path fetchSnapshot(
      HubRepo repo,
      String revision,
      RepoInfo info,
      GlobPatterns patterns,
      DownloadProgress progress) {
    String commit = info.sha();
    List<RepoInfo.Sibling> files =
        info.siblings().stream().filter(s -> patterns.matches(s.rfilename())).toList();
    if (files.isEmpty())
      throw new HubException(
          HubException.Reason.NOT_FOUND,
          info.siblings().isEmpty()
              ? repo + " at revision " + revision + " (commit " + commit + ") has no files"
              : "no file of "
                  + repo
                  + " at revision "
                  + revision
                  + " (commit "
                  + commit
                  + ") matches "
                  + describe(patterns)
                  + "; its files: "
                  + info.siblings().stream()
                      .limit(20)
                      .map(RepoInfo.Sibling::rfilename)
                      .collect(Collectors.joining(", ")));
    for (RepoInfo.Sibling f : files) fetchFile(repo, commit, f, progress);
    // Written last, so that refs/<revision> (what offline mode reads) names a finished snapshot.
    cache.writeRef(repo, revision, commit);
    return cache.snapshotDir(repo, commit);
  }

  private void fetchFile(
      HubRepo repo, String commit, RepoInfo.Sibling f, DownloadProgress progress) {
    String path = f.rfilename();
    Path pointer = cache.pointerPath(repo, commit, path);
    if (Files.exists(pointer)) { // follows the symlink: a dangling one is fetched again
      long size = f.contentSize() >= 0 ? f.contentSize() : sizeOf(pointer);
      progress.update(path, size, size);
      return;
    }
    String etag = f.etag();
    long size = f.contentSize();
    if (etag == null) { // the listing had no blob info (a mirror without ?blobs=true)
      HubApi.FileMetadata m = api.fileMetadata(repo, commit, path);
      etag = m.etag();
      size = m.size();
    }
    ContentCheck check;
    try {
      check = new ContentCheck(etag, size);
    } catch (IllegalArgumentException e) {
      throw new HubException(
          HubException.Reason.PROTOCOL, path + " of " + repo + ": " + e.getMessage(), e);
    }
    Path blob = cache.blobPath(repo, etag);
    if (!Files.exists(blob)) {
      try (HubCache.BlobLock lock = cache.lockBlob(repo, etag)) {
        // Another worker may have finished this blob while we waited for the lock.
        if (!Files.exists(blob)) {
          blobs.download(
              new BlobDownloader.Request(
                  api.resolveUrl(repo, commit, path),
                  blob,
                  check,
                  path,
                  repo + " at " + commit,
                  api.repoPage(repo)),
              progress);
        }
      }
    }
    progress.update(path, sizeOf(blob), sizeOf(blob));
    cache.link(blob, pointer);
  }

  // The revision through refs/, then the snapshot; `cause` is the network failure, if any.
  private Path fromCache(HubRepo repo, String revision, GlobPatterns patterns, HubException cause) {
    String why =
        cause == null
            ? "HF_HUB_OFFLINE is set"
            : "the Hub at " + env.endpoint() + " cannot be reached (" + cause.getMessage() + ")";
    String advice =
        cause == null
            ? "download it once with network access, or unset HF_HUB_OFFLINE"
            : "check the network, HF_ENDPOINT or a proxy, then retry";
    HubException.Reason reason =
        cause == null ? HubException.Reason.NOT_CACHED : HubException.Reason.NETWORK;
    String commit =
        cache
            .cachedCommit(repo, revision)
            .orElseThrow(
                () ->
                    new HubException(
                        reason,
                        repo
                            + " at revision "
                            + revision
                            + " is not in the cache "
                            + cache.root()
                            + " (no "
                            + cache.repoDir(repo).resolve("refs").resolve(revision)
                            + ") and "
                            + why
                            + ": "
                            + advice,
                        cause));
    Path snapshot = cache.snapshotDir(repo, commit);
    boolean any =
        Files.isDirectory(snapshot)
            && cache.snapshotFiles(snapshot).stream().anyMatch(patterns::matches);
    if (!any)
      throw new HubException(
          reason,
          repo
              + " at revision "
              + revision
              + " (commit "
              + commit
              + ") has no cached file matching "
              + describe(patterns)
              + " in "
              + snapshot
              + " and "
              + why
              + ": "
              + advice,
          cause);
    return snapshot;
  }

  private static String describe(GlobPatterns p) {
    if (p.allow().isEmpty() && p.ignore().isEmpty()) return "[all files]";
    return "allow " + (p.allow().isEmpty() ? "[*]" : p.allow()) + " ignore " + p.ignore();
  }

  private static long sizeOf(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      throw new HubException(HubException.Reason.LOCAL_IO, "cannot read " + p, e);
    }
  }
}
