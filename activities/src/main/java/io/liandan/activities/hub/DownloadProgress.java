// Progress of a download, per file, so that the download activity can heartbeat.
package io.liandan.activities.hub;

/**
 * Called as bytes arrive, from an HTTP client thread (keep it cheap and thread-safe; throttle
 * heartbeats on the caller's side). {@code done} counts from the start of the file, resumed bytes
 * included; a file found in the cache reports {@code done == total} once.
 */
@FunctionalInterface
public interface DownloadProgress {
  DownloadProgress NONE = (file, done, total) -> {};

  /**
   * @param file the repo-relative path, e.g. {@code model.safetensors}
   * @param done bytes of this file on disk so far
   * @param total the file's size, or -1 if unknown
   */
  void update(String file, long done, long total);
}
