// A local stand-in for huggingface.co (and its CDN): the API and resolve layout, redirects, Range,
// ETags, faults.
package io.liandan.activities.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * Serves, on 127.0.0.1 and a free port:
 *
 * <pre>
 * GET  /api/{models|datasets}/{id}/revision/{rev}[?blobs=true]   {"id","sha","siblings":[…]}
 * GET|HEAD /[datasets/]{id}/resolve/{rev}/{path}
 *        git file: 200 with ETag "&lt;git sha1&gt;" and X-Repo-Commit
 *        LFS file: 302 to /cdn/&lt;sha256&gt;/&lt;path&gt; (relative, or absolute on a second FakeHub
 *                  acting as CDN) with X-Linked-Etag "&lt;sha256&gt;", X-Linked-Size, X-Repo-Commit
 * GET  /cdn/&lt;sha256&gt;/&lt;path&gt;                                      the LFS bytes
 * </pre>
 *
 * File bodies honour {@code Range: bytes=N-} (206, or 416 past the end). Unknown repos answer 404
 * RepoNotFound, unknown revisions 404 RevisionNotFound, gated repos 401/403 GatedRepo. Faults,
 * keyed by the file's repo path: cut the connection after N bytes once, stall after N bytes once,
 * answer 503 a few times, corrupt the bytes, ignore Range, leave blob info out of the listing.
 * Every request is recorded.
 */
final class FakeHub implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A recorded request; header names lower-case. */
  record Request(int port, String method, String path, String query, Map<String, String> headers) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** A repo file: its bytes, stored in git or in LFS. */
  record FakeFile(byte[] bytes, boolean lfs) {
    static FakeFile git(String text) {
      return new FakeFile(text.getBytes(StandardCharsets.UTF_8), false);
    }

    static FakeFile lfs(byte[] bytes) {
      return new FakeFile(bytes, true);
    }

    String sha256() {
      return hex("SHA-256", bytes);
    }

    String gitSha1() {
      byte[] header = ("blob " + bytes.length + "\0").getBytes(StandardCharsets.US_ASCII);
      byte[] all = new byte[header.length + bytes.length];
      System.arraycopy(header, 0, all, 0, header.length);
      System.arraycopy(bytes, 0, all, header.length, bytes.length);
      return hex("SHA-1", all);
    }

    /** The Hub's ETag: sha256 for LFS, git sha1 otherwise; also the blob's cache name. */
    String etag() {
      return lfs ? sha256() : gitSha1();
    }
  }

  /** A repo: refs (branch or tag → commit) and the files of each commit. */
  static final class Repo {
    final Map<String, String> refs = new ConcurrentHashMap<>();
    final Map<String, Map<String, FakeFile>> commits = new ConcurrentHashMap<>();
    volatile String requiredToken;

    Repo commit(String sha, Map<String, FakeFile> files, String... names) {
      commits.put(sha, new LinkedHashMap<>(files));
      for (String n : names) refs.put(n, sha);
      return this;
    }

    String resolve(String revision) {
      if (commits.containsKey(revision)) return revision;
      return refs.get(revision);
    }
  }

  /** Thrown by a handler to drop the connection without finishing the response. */
  private static final class Cut extends RuntimeException {
    Cut() {
      super("connection cut on purpose", null, false, false);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final Map<String, Repo> repos = new ConcurrentHashMap<>();
  private final Map<String, byte[]> cdnBlobs = new ConcurrentHashMap<>();
  private final Map<String, Integer> cutOnce = new ConcurrentHashMap<>();
  private final Map<String, long[]> stallOnce = new ConcurrentHashMap<>();
  private final Map<String, Integer> serverErrors = new ConcurrentHashMap<>();
  private final Set<String> corrupt = ConcurrentHashMap.newKeySet();
  private volatile FakeHub cdn = this;
  private volatile boolean ignoreRange;
  private volatile boolean omitBlobInfo;

  FakeHub() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  String endpoint() {
    return "http://127.0.0.1:" + port();
  }

  int port() {
    return server.getAddress().getPort();
  }

  Repo model(String id) {
    return repos.computeIfAbsent("models/" + id, k -> new Repo());
  }

  Repo dataset(String id) {
    return repos.computeIfAbsent("datasets/" + id, k -> new Repo());
  }

  /** LFS downloads redirect to {@code cdn} (another server, another port) instead of /cdn/ here. */
  void useCdn(FakeHub cdn) {
    this.cdn = cdn;
  }

  /** The first body of {@code path} stops after {@code bytes} bytes and the socket is closed. */
  void cutOnce(String path, int bytes) {
    cutOnce.put(path, bytes);
  }

  /** The first body of {@code path} goes silent for {@code millis} after {@code bytes} bytes. */
  void stallOnce(String path, int bytes, long millis) {
    stallOnce.put(path, new long[] {bytes, millis});
  }

  /** The next {@code times} requests for the bytes of {@code path} answer 503. */
  void serverErrors(String path, int times) {
    serverErrors.put(path, times);
  }

  /** {@code path} is always served with its first byte flipped. */
  void corrupt(String path) {
    corrupt.add(path);
  }

  void ignoreRange() {
    ignoreRange = true;
  }

  /** The listing gives names only, as if {@code ?blobs=true} were not understood. */
  void omitBlobInfo() {
    omitBlobInfo = true;
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  List<Request> requests(Predicate<Request> p) {
    return requests.stream().filter(p).toList();
  }

  /** Requests for file bytes: resolve URLs and CDN URLs (not the API). */
  List<Request> fileRequests() {
    return requests(r -> r.path().contains("/resolve/") || r.path().startsWith("/cdn/"));
  }

  static byte[] corrupted(byte[] bytes) {
    byte[] c = bytes.clone();
    c[0] ^= 0x55;
    return c;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    ex.getRequestHeaders()
        .forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
    String rawPath = ex.getRequestURI().getRawPath();
    requests.add(
        new Request(
            port(), ex.getRequestMethod(), rawPath, ex.getRequestURI().getRawQuery(), headers));
    try {
      if (rawPath.startsWith("/cdn/")) serveCdn(ex, rawPath);
      else if (rawPath.startsWith("/api/")) serveApi(ex, rawPath);
      else if (rawPath.contains("/resolve/")) serveResolve(ex, rawPath);
      else ex.sendResponseHeaders(404, -1);
    } catch (Cut cut) {
      throw cut; // the server closes the connection: the client sees a truncated body
    }
    ex.close();
  }

  // /api/{models|datasets}/{id}/revision/{rev}
  private void serveApi(HttpExchange ex, String rawPath) throws IOException {
    String rest = rawPath.substring("/api/".length());
    String type = rest.substring(0, rest.indexOf('/'));
    rest = rest.substring(type.length() + 1);
    int at = rest.lastIndexOf("/revision/");
    String id = rest.substring(0, at);
    String revision = decode(rest.substring(at + "/revision/".length()));
    Repo repo = repos.get(type + "/" + id);
    String commit = commit(ex, repo, type, id, revision);
    if (commit == null) return;
    boolean blobs = "blobs=true".equals(ex.getRequestURI().getRawQuery()) && !omitBlobInfo;
    List<Map<String, Object>> siblings = new ArrayList<>();
    repo.commits
        .get(commit)
        .forEach(
            (path, f) -> {
              Map<String, Object> s = new LinkedHashMap<>();
              s.put("rfilename", path);
              if (blobs) {
                s.put(
                    "blobId", f.lfs() ? hex("SHA-1", ("pointer " + path).getBytes()) : f.gitSha1());
                s.put("size", f.bytes().length);
                if (f.lfs())
                  s.put(
                      "lfs",
                      Map.of("sha256", f.sha256(), "size", f.bytes().length, "pointerSize", 134));
              }
              siblings.add(s);
            });
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("_id", "65f0c0ffee");
    body.put("id", id);
    body.put("private", false);
    body.put("sha", commit);
    body.put("siblings", siblings);
    byte[] json = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(200, json.length);
    ex.getResponseBody().write(json);
  }

  // /[datasets/]{id}/resolve/{rev}/{path}
  private void serveResolve(HttpExchange ex, String rawPath) throws IOException {
    boolean dataset = rawPath.startsWith("/datasets/");
    String type = dataset ? "datasets" : "models";
    String rest = rawPath.substring(dataset ? "/datasets/".length() : 1);
    int at = rest.indexOf("/resolve/");
    String id = rest.substring(0, at);
    rest = rest.substring(at + "/resolve/".length());
    String revision = decode(rest.substring(0, rest.indexOf('/')));
    String path = decode(rest.substring(rest.indexOf('/') + 1));
    Repo repo = repos.get(type + "/" + id);
    String commit = commit(ex, repo, type, id, revision);
    if (commit == null) return;
    FakeFile f = repo.commits.get(commit).get(path);
    ex.getResponseHeaders().set("X-Repo-Commit", commit);
    if (f == null) {
      error(ex, 404, "EntryNotFound", path + " does not exist on \"" + revision + "\"");
      return;
    }
    if (f.lfs()) {
      cdn.cdnBlobs.put(f.sha256(), f.bytes());
      String where = "/cdn/" + f.sha256() + "/" + HubApi.encode(path, true);
      ex.getResponseHeaders().set("Location", cdn == this ? where : cdn.endpoint() + where);
      ex.getResponseHeaders().set("X-Linked-Etag", "\"" + f.sha256() + "\"");
      ex.getResponseHeaders().set("X-Linked-Size", Integer.toString(f.bytes().length));
      ex.getResponseHeaders().set("ETag", "W/\"" + hex("SHA-1", f.bytes()) + "\"");
      ex.sendResponseHeaders(302, -1);
      return;
    }
    ex.getResponseHeaders().set("ETag", "\"" + f.gitSha1() + "\"");
    serveBytes(ex, f.bytes(), path);
  }

  // /cdn/<sha256>/<path>: presigned in real life, so no token is checked here.
  private void serveCdn(HttpExchange ex, String rawPath) throws IOException {
    String rest = rawPath.substring("/cdn/".length());
    String sha = rest.substring(0, rest.indexOf('/'));
    byte[] bytes = cdnBlobs.get(sha);
    if (bytes == null) {
      ex.sendResponseHeaders(404, -1);
      return;
    }
    ex.getResponseHeaders().set("ETag", "\"" + sha + "\"");
    serveBytes(ex, bytes, decode(rest.substring(rest.indexOf('/') + 1)));
  }

  private void serveBytes(HttpExchange ex, byte[] original, String path) throws IOException {
    if (serverErrors.getOrDefault(path, 0) > 0) {
      serverErrors.merge(path, -1, Integer::sum);
      ex.sendResponseHeaders(503, -1);
      return;
    }
    byte[] bytes = corrupt.contains(path) ? corrupted(original) : original;
    int start = 0;
    int status = 200;
    String range = ex.getRequestHeaders().getFirst("Range");
    if (range != null && !ignoreRange) {
      start = Integer.parseInt(range.substring("bytes=".length(), range.indexOf('-')));
      if (start >= bytes.length) {
        ex.getResponseHeaders().set("Content-Range", "bytes */" + bytes.length);
        ex.sendResponseHeaders(416, -1);
        return;
      }
      status = 206;
      ex.getResponseHeaders()
          .set("Content-Range", "bytes " + start + "-" + (bytes.length - 1) + "/" + bytes.length);
    }
    int length = bytes.length - start;
    ex.getResponseHeaders().set("Accept-Ranges", "bytes");
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.getResponseHeaders().set("Content-Length", Integer.toString(length));
      ex.sendResponseHeaders(status, -1);
      return;
    }
    ex.sendResponseHeaders(status, length);
    OutputStream out = ex.getResponseBody();
    Integer cut = cutOnce.remove(path);
    long[] stall = stallOnce.remove(path);
    if (cut != null) {
      out.write(bytes, start, cut);
      out.flush();
      throw new Cut();
    }
    if (stall != null) {
      out.write(bytes, start, (int) stall[0]);
      out.flush();
      sleep(stall[1]);
      throw new Cut(); // by now the client has given up on this exchange
    }
    out.write(bytes, start, length);
  }

  /** The commit {@code revision} names in {@code repo}; null once a refusal has been answered. */
  private String commit(HttpExchange ex, Repo repo, String type, String id, String revision)
      throws IOException {
    if (!admitted(ex, repo, type, id)) return null;
    String commit = repo.resolve(revision);
    if (commit == null) error(ex, 404, "RevisionNotFound", "Invalid rev id: " + revision);
    return commit;
  }

  private boolean admitted(HttpExchange ex, Repo repo, String type, String id) throws IOException {
    if (repo == null) {
      error(ex, 404, "RepoNotFound", "Repository Not Found for url: " + type + "/" + id);
      return false;
    }
    String token = repo.requiredToken;
    if (token == null) return true;
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (("Bearer " + token).equals(auth)) return true;
    error(
        ex,
        auth == null ? 401 : 403,
        "GatedRepo",
        "Access to model "
            + id
            + " is restricted. You must have access to it and be authenticated.");
    return false;
  }

  private static void error(HttpExchange ex, int status, String code, String message)
      throws IOException {
    ex.getResponseHeaders().set("X-Error-Code", code);
    ex.getResponseHeaders().set("X-Error-Message", message);
    ex.sendResponseHeaders(status, -1);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String hex(String algorithm, byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
