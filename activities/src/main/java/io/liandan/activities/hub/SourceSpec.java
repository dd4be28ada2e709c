// Where a model or dataset comes from: a Hub repo at a revision, or a local file or folder.
package io.liandan.activities.hub;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A parsed source string, as pipeline specs write it:
 *
 * <pre>
 *   hf:Qwen/Qwen2.5-0.5B-Instruct            a model, revision "main"
 *   hf:Qwen/Qwen2.5-0.5B-Instruct@v1.0       a model at a branch, tag or commit sha
 *   hf-dataset:org/name[@revision]           a dataset repo
 *   /data/models/qwen, ./train.jsonl, file:/data/x   a local folder or file
 * </pre>
 *
 * Exactly one of {@code repo} and {@code localPath} is set. Parsing checks syntax only; whether a
 * local path exists is checked when it is used. JSON reads and writes the string form.
 */
public record SourceSpec(HubRepo repo, String revision, Path localPath) {
  public static final String DEFAULT_REVISION = "main";

  private static final String MODEL_PREFIX = "hf:";
  private static final String DATASET_PREFIX = "hf-dataset:";
  // Two or more letters before the colon, so that a Windows drive "C:" stays a path.
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:");
  private static final String FORMS =
      "expected hf:org/name[@revision], hf-dataset:org/name[@revision] or a local path";

  public SourceSpec {
    if ((repo == null) == (localPath == null))
      throw new IllegalArgumentException("a source is either a Hub repo or a local path");
    if (repo != null) checkRevision(revision, repo.id());
    else if (revision != null)
      throw new IllegalArgumentException("a local source has no revision: " + localPath);
  }

  public static SourceSpec hub(HubRepo repo, String revision) {
    return new SourceSpec(repo, revision, null);
  }

  public static SourceSpec model(String repoId) {
    return hub(HubRepo.model(repoId), DEFAULT_REVISION);
  }

  public static SourceSpec dataset(String repoId) {
    return hub(HubRepo.dataset(repoId), DEFAULT_REVISION);
  }

  public static SourceSpec local(Path path) {
    return new SourceSpec(null, null, path);
  }

  /** Parses a source string; IllegalArgumentException with the accepted forms if it is wrong. */
  @JsonCreator
  public static SourceSpec parse(String source) {
    if (source == null || source.isBlank())
      throw new IllegalArgumentException("empty source: " + FORMS);
    String s = source.strip();
    if (s.startsWith(MODEL_PREFIX)) return parseHub(s, MODEL_PREFIX, HubRepo.Type.MODEL);
    if (s.startsWith(DATASET_PREFIX)) return parseHub(s, DATASET_PREFIX, HubRepo.Type.DATASET);
    if (s.startsWith("file:")) {
      try {
        return local(Path.of(URI.create(s)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("bad file URI '" + s + "': " + e.getMessage(), e);
      }
    }
    if (SCHEME.matcher(s).find())
      throw new IllegalArgumentException(
          "unsupported source '"
              + s
              + "': "
              + FORMS
              + " (write ./"
              + s
              + " for a local path that contains a colon)");
    try {
      return local(Path.of(s));
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("bad local path '" + s + "': " + e.getMessage(), e);
    }
  }

  private static SourceSpec parseHub(String s, String prefix, HubRepo.Type type) {
    String rest = s.substring(prefix.length());
    if (rest.startsWith("//"))
      throw new IllegalArgumentException(
          "bad source '" + s + "': write " + prefix + "org/name, without '//'");
    int at = rest.indexOf('@');
    String id = at < 0 ? rest : rest.substring(0, at);
    String revision = at < 0 ? DEFAULT_REVISION : rest.substring(at + 1);
    if (id.isEmpty())
      throw new IllegalArgumentException("missing repo id in '" + s + "': " + FORMS);
    if (at >= 0 && revision.isEmpty())
      throw new IllegalArgumentException("empty revision after '@' in '" + s + "'");
    try {
      return hub(new HubRepo(type, id), revision);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("bad source '" + s + "': " + e.getMessage(), e);
    }
  }

  // Revisions become file names under refs/, so nothing may climb out of that folder.
  private static void checkRevision(String revision, String repoId) {
    if (revision == null
        || revision.isBlank()
        || revision.chars().anyMatch(c -> c <= ' ' || c == '\\')
        || revision.startsWith("/")
        || revision.endsWith("/")
        || ("/" + revision + "/").contains("/../")
        || ("/" + revision + "/").contains("/./"))
      throw new IllegalArgumentException(
          "invalid revision '"
              + revision
              + "' for "
              + repoId
              + ": expected a branch, tag or commit");
  }

  public boolean isLocal() {
    return localPath != null;
  }

  /** The string this spec parses from. */
  @JsonValue
  @Override
  public String toString() {
    if (isLocal()) return localPath.toString();
    String prefix = repo.type() == HubRepo.Type.MODEL ? MODEL_PREFIX : DATASET_PREFIX;
    return prefix + repo.id() + (revision.equals(DEFAULT_REVISION) ? "" : "@" + revision);
  }
}
