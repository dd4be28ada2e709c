// The Hub's HTTP API as huggingface_hub's snapshot_download uses it: revision info, file URLs, file
// metadata.
package io.liandan.activities.hub;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Three calls:
 *
 * <ul>
 *   <li>{@code GET {endpoint}/api/{models|datasets}/{repo_id}/revision/{revision}?blobs=true}: the
 *       commit sha a branch/tag/sha names, and every file with its size and hash ({@link
 *       RepoInfo}). One request lists a whole repo, so no per-file HEAD is needed on the Hub.
 *   <li>{@code {endpoint}/[datasets/]{repo_id}/resolve/{revision}/{path}}: a file's URL. The Hub
 *       answers 200 for git files and a 302 to its CDN for LFS files ({@link BlobDownloader}
 *       follows it).
 *   <li>{@code HEAD} on that URL, following same-origin redirects only: {@code X-Repo-Commit},
 *       {@code X-Linked-Etag} or {@code ETag}, {@code X-Linked-Size} or {@code Content-Length} —
 *       used only when the listing lacks blob information.
 * </ul>
 *
 * Revisions are percent-encoded whole ({@code refs/pr/1} → {@code refs%2Fpr%2F1}), file paths per
 * segment, as huggingface_hub's {@code quote} calls do. Network failures, 429 and 5xx are retried.
 */
public final class HubApi {
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final Pattern COMMIT_SHA = Pattern.compile("[0-9a-f]{40}");

  private final HubHttp http;
  private final RetryPolicy retry;

  public HubApi(HubHttp http, RetryPolicy retry) {
    this.http = http;
    this.retry = retry;
  }

  /** A file's ETag, size and commit as the Hub's headers give them. */
  public record FileMetadata(String commit, String etag, long size) {}

  /** The commit that {@code revision} names and the files at that commit. */
  public RepoInfo repoInfo(HubRepo repo, String revision) {
    String subject = repo + " at revision " + revision;
    URI uri =
        URI.create(
            http.endpoint()
                + "/api/"
                + repo.type().plural
                + "/"
                + repo.id()
                + "/revision/"
                + encode(revision, false)
                + "?blobs=true");
    HttpResponse<byte[]> r = withRetries(subject, () -> get("GET", uri, true));
    if (r.statusCode() != 200) throw http.failure(r, subject, repoPage(repo));
    RepoInfo info;
    try {
      info = JSON.readValue(r.body(), RepoInfo.class);
    } catch (IOException e) {
      throw new HubException(
          HubException.Reason.PROTOCOL,
          subject
              + ": the Hub's answer from "
              + uri
              + " is not the expected JSON: "
              + e.getMessage(),
          e);
    }
    if (info.sha() == null || !COMMIT_SHA.matcher(info.sha()).matches())
      throw new HubException(
          HubException.Reason.PROTOCOL,
          subject
              + ": the Hub's answer from "
              + uri
              + " has no commit sha (got "
              + info.sha()
              + ")");
    return info;
  }

  /** HEAD on a file's resolve URL; the Hub's 302 to its CDN is read, not followed. */
  public FileMetadata fileMetadata(HubRepo repo, String commit, String path) {
    String subject = path + " of " + repo + " at " + commit;
    URI uri = resolveUrl(repo, commit, path);
    HttpResponse<byte[]> r = withRetries(subject, () -> get("HEAD", uri, false));
    if (r.statusCode() >= 400) throw http.failure(r, subject, repoPage(repo));
    var h = r.headers();
    String etag = h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).orElse(null);
    String size =
        h.firstValue("X-Linked-Size").or(() -> h.firstValue("Content-Length")).orElse("-1");
    if (etag == null)
      throw new HubException(
          HubException.Reason.PROTOCOL,
          subject + ": the server sent no ETag, so the file cannot be verified or cached");
    try {
      return new FileMetadata(
          h.firstValue("X-Repo-Commit").orElse(commit),
          ContentCheck.normalizeEtag(etag),
          Long.parseLong(size.strip()));
    } catch (NumberFormatException e) {
      throw new HubException(
          HubException.Reason.PROTOCOL, subject + ": bad size header " + size, e);
    }
  }

  /** {@code {endpoint}/[datasets/]{repo_id}/resolve/{revision}/{path}}. */
  public URI resolveUrl(HubRepo repo, String revision, String path) {
    return URI.create(
        http.endpoint()
            + "/"
            + repo.type().urlPrefix
            + repo.id()
            + "/resolve/"
            + encode(revision, false)
            + "/"
            + encode(path, true));
  }

  /** The repo's web page, where a gated repo's license is accepted. */
  public String repoPage(HubRepo repo) {
    return http.endpoint() + "/" + repo.type().urlPrefix + repo.id();
  }

  private HttpResponse<byte[]> get(String method, URI uri, boolean crossOrigin) throws IOException {
    return http.send(
        method,
        uri,
        Map.of("Accept-Encoding", "identity"),
        BodyHandlers.ofByteArray(),
        crossOrigin,
        new HubHttp.Activity());
  }

  private interface Call {
    HttpResponse<byte[]> run() throws IOException;
  }

  // Retries connection failures, timeouts, 408/429/5xx; returns any other answer for the caller.
  private HttpResponse<byte[]> withRetries(String subject, Call call) {
    for (int attempt = 1; ; attempt++) {
      String problem;
      IOException cause = null;
      try {
        HttpResponse<byte[]> r = call.run();
        if (!HubHttp.isTransient(r.statusCode())) return r;
        problem = "HTTP " + r.statusCode() + " from " + r.uri();
      } catch (InterruptedIOException e) {
        throw new HubException(HubException.Reason.NETWORK, subject + ": interrupted", e);
      } catch (IOException e) {
        problem = e.toString();
        cause = e;
      }
      if (attempt >= retry.maxAttempts())
        throw new HubException(
            HubException.Reason.NETWORK,
            subject
                + ": the Hub at "
                + http.endpoint()
                + " did not answer after "
                + attempt
                + " attempts (last: "
                + problem
                + ")",
            cause);
      try {
        retry.sleep(attempt);
      } catch (InterruptedIOException e) {
        throw new HubException(HubException.Reason.NETWORK, subject + ": interrupted", e);
      }
    }
  }

  /**
   * Python's {@code urllib.parse.quote}: UTF-8 percent-encoding of everything but letters, digits
   * and {@code _.-~}, and of {@code /} too unless {@code keepSlash}.
   */
  static String encode(String s, boolean keepSlash) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '_'
          || c == '.'
          || c == '-'
          || c == '~'
          || (keepSlash && c == '/')) out.append(c);
      else out.append('%').append(String.format("%02X", b & 0xff));
    }
    return out.toString();
  }
}
