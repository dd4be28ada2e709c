// A repository on the Hugging Face Hub: its type and id, and the names the Hub and the cache give
// it.
package io.liandan.activities.hub;

import java.util.regex.Pattern;

/**
 * A model or dataset repository, e.g. {@code Qwen/Qwen2.5-0.5B-Instruct}. Ids are checked with
 * huggingface_hub's rules ({@code validate_repo_id}) so that a typo fails here, not as a 404.
 */
public record HubRepo(Type type, String id) {
  /** The repository kinds this client downloads (Spaces are not pipeline inputs). */
  public enum Type {
    MODEL("models", ""),
    DATASET("datasets", "datasets/");

    /** Segment of API paths ({@code /api/models/...}) and prefix of cache folders. */
    final String plural;

    /** Prefix of file URLs: {@code {endpoint}/datasets/{id}/resolve/...}, nothing for models. */
    final String urlPrefix;

    Type(String plural, String urlPrefix) {
      this.plural = plural;
      this.urlPrefix = urlPrefix;
    }

    /** "model" or "dataset", for messages. */
    String singular() {
      return plural.substring(0, plural.length() - 1);
    }
  }

  // huggingface_hub's REPO_ID_REGEX: an optional namespace, then a name; each part begins and ends
  // with a letter, digit or underscore.
  private static final Pattern PART = Pattern.compile("\\w([\\w.-]*\\w)?");
  private static final int MAX_LENGTH = 96;

  public HubRepo {
    if (type == null) throw new IllegalArgumentException("repo type is null");
    if (id == null || !isValidId(id))
      throw new IllegalArgumentException(
          "invalid Hub repo id '"
              + id
              + "': expected 'org/name' or 'name' (letters, digits, '-', '_', '.'; no '--' or"
              + " '..'; at most "
              + MAX_LENGTH
              + " characters)");
  }

  public static HubRepo model(String id) {
    return new HubRepo(Type.MODEL, id);
  }

  public static HubRepo dataset(String id) {
    return new HubRepo(Type.DATASET, id);
  }

  static boolean isValidId(String id) {
    if (id.length() > MAX_LENGTH || id.contains("--") || id.contains("..")) return false;
    String[] parts = id.split("/", -1);
    if (parts.length > 2) return false;
    for (String part : parts) if (!PART.matcher(part).matches()) return false;
    return true;
  }

  /** The cache folder name huggingface_hub uses: {@code models--Qwen--Qwen2.5-0.5B-Instruct}. */
  public String cacheFolderName() {
    return type.plural + "--" + id.replace("/", "--");
  }

  /** How messages name the repo: {@code model Qwen/Qwen2.5-0.5B-Instruct}. */
  @Override
  public String toString() {
    return type.singular() + " " + id;
  }
}
