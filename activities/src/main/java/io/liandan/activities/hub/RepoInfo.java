// The Hub's answer to GET /api/{models|datasets}/{repo_id}/revision/{revision}?blobs=true.
package io.liandan.activities.hub;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The fields this client reads; the Hub sends many more (ignored). Shape, trimmed:
 *
 * <pre>
 * { "id": "Qwen/Qwen2.5-0.5B-Instruct",
 *   "sha": "7ae557604adf67be50417f59c2c2f167def9a775",          // the commit the revision names
 *   "siblings": [
 *     { "rfilename": "config.json", "blobId": "d9b4…(git sha1)", "size": 659 },
 *     { "rfilename": "model.safetensors", "blobId": "…(sha1 of the LFS pointer)", "size": 988097824,
 *       "lfs": { "sha256": "fdf7…", "size": 988097824, "pointerSize": 135 } } ] }
 * </pre>
 *
 * {@code blobId}, {@code size} and {@code lfs} come only with {@code ?blobs=true}; without them (a
 * mirror that ignores the flag) a file's ETag is fetched with a HEAD request instead.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RepoInfo(String id, String sha, List<Sibling> siblings) {
  public RepoInfo {
    siblings = siblings == null ? List.of() : List.copyOf(siblings);
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Sibling(String rfilename, Long size, String blobId, Lfs lfs) {
    /**
     * The ETag the Hub serves for this file, known without a request: the LFS sha256, else the git
     * blob id. Null if the listing did not include blob information.
     */
    public String etag() {
      if (lfs != null && lfs.sha256() != null) return lfs.sha256();
      return blobId;
    }

    /** The content size: the LFS object's, not its pointer's. -1 if not listed. */
    public long contentSize() {
      if (lfs != null && lfs.size() != null) return lfs.size();
      return size == null ? -1 : size;
    }
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Lfs(String sha256, Long size) {}
}
