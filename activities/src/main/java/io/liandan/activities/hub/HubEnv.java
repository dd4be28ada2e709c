// The Hub settings that huggingface_hub reads from the environment, read from an injected map.
package io.liandan.activities.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Endpoint, token, cache folder and offline flag, resolved with huggingface_hub's precedence (its
 * {@code constants.py}) so that a machine set up for Python works unchanged:
 *
 * <ul>
 *   <li>{@code HF_ENDPOINT}, default {@code https://huggingface.co} (mirrors such as
 *       https://hf-mirror.com work the same way);
 *   <li>{@code HF_TOKEN} (legacy {@code HUGGING_FACE_HUB_TOKEN}), else the file {@code
 *       $HF_TOKEN_PATH}, default {@code $HF_HOME/token} (what {@code huggingface-cli login}
 *       writes);
 *   <li>{@code HF_HUB_CACHE} (legacy {@code HUGGINGFACE_HUB_CACHE}), default {@code $HF_HOME/hub};
 *       {@code HF_HOME} defaults to {@code $XDG_CACHE_HOME/huggingface}, then {@code
 *       ~/.cache/huggingface};
 *   <li>{@code HF_HUB_OFFLINE} (or {@code TRANSFORMERS_OFFLINE}) = 1/ON/YES/TRUE.
 * </ul>
 *
 * The map is passed in (usually {@code System.getenv()}) so tests never see the real environment.
 */
public record HubEnv(String endpoint, Optional<String> token, Path hubCache, boolean offline) {
  public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
  private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

  public HubEnv {
    if (endpoint == null || !(endpoint.startsWith("http://") || endpoint.startsWith("https://")))
      throw new IllegalArgumentException(
          "HF_ENDPOINT must be an http(s) URL such as " + DEFAULT_ENDPOINT + ", got " + endpoint);
    // "https://hf-mirror.com/" and "https://hf-mirror.com" name the same endpoint.
    while (endpoint.endsWith("/")) endpoint = endpoint.substring(0, endpoint.length() - 1);
    token = token == null ? Optional.empty() : token.filter(t -> !t.isBlank()).map(String::strip);
  }

  public static HubEnv fromSystem() {
    return from(System.getenv());
  }

  public static HubEnv from(Map<String, String> env) {
    String endpoint = get(env, "HF_ENDPOINT").orElse(DEFAULT_ENDPOINT);
    Path home = hfHome(env);
    Path cache =
        get(env, "HF_HUB_CACHE")
            .or(() -> get(env, "HUGGINGFACE_HUB_CACHE"))
            .map(v -> path(env, v))
            .orElse(home.resolve("hub"));
    Optional<String> token =
        get(env, "HF_TOKEN")
            .or(() -> get(env, "HUGGING_FACE_HUB_TOKEN"))
            .or(
                () ->
                    readTokenFile(
                        get(env, "HF_TOKEN_PATH")
                            .map(v -> path(env, v))
                            .orElse(home.resolve("token"))));
    boolean offline =
        get(env, "HF_HUB_OFFLINE")
            .or(() -> get(env, "TRANSFORMERS_OFFLINE"))
            .map(v -> TRUE.contains(v.strip().toUpperCase(Locale.ROOT)))
            .orElse(false);
    return new HubEnv(endpoint, token, cache, offline);
  }

  private static Path hfHome(Map<String, String> env) {
    return get(env, "HF_HOME")
        .map(v -> path(env, v))
        .orElseGet(
            () ->
                get(env, "XDG_CACHE_HOME")
                    .map(v -> path(env, v))
                    .orElseGet(() -> userHome(env).resolve(".cache"))
                    .resolve("huggingface"));
  }

  private static Path userHome(Map<String, String> env) {
    return get(env, "HOME").map(Path::of).orElseGet(() -> Path.of(System.getProperty("user.home")));
  }

  // Python expands "~" in these variables (os.path.expanduser); so do we, from the map's HOME.
  private static Path path(Map<String, String> env, String value) {
    if (value.equals("~")) return userHome(env);
    if (value.startsWith("~/")) return userHome(env).resolve(value.substring(2));
    return Path.of(value);
  }

  private static Optional<String> readTokenFile(Path file) {
    if (!Files.isRegularFile(file)) return Optional.empty();
    try {
      return Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip())
          .filter(t -> !t.isEmpty());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the Hugging Face token file " + file, e);
    }
  }

  private static Optional<String> get(Map<String, String> env, String name) {
    return Optional.ofNullable(env.get(name)).filter(v -> !v.isBlank());
  }

  /** The token is a secret: never print it. */
  @Override
  public String toString() {
    return "HubEnv[endpoint="
        + endpoint
        + ", token="
        + (token.isPresent() ? "set" : "unset")
        + ", hubCache="
        + hubCache
        + ", offline="
        + offline
        + "]";
  }
}
