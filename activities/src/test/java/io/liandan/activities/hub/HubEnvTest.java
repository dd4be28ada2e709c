// The environment variables, resolved as huggingface_hub's constants.py resolves them.
package io.liandan.activities.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubEnvTest {
  @TempDir Path home;

  @Test
  void defaultsComeFromHome() {
    HubEnv env = HubEnv.from(Map.of("HOME", home.toString()));
    assertEquals("https://huggingface.co", env.endpoint());
    assertEquals(home.resolve(".cache/huggingface/hub"), env.hubCache());
    assertEquals(Optional.empty(), env.token());
    assertFalse(env.offline());
  }

  @Test
  void cacheFolderPrecedence() {
    assertHubCache("/x/huggingface/hub", "HOME", "/h", "XDG_CACHE_HOME", "/x");
    assertHubCache("/hf/hub", "XDG_CACHE_HOME", "/x", "HF_HOME", "/hf");
    assertHubCache("/legacy", "HF_HOME", "/hf", "HUGGINGFACE_HUB_CACHE", "/legacy");
    assertHubCache("/c", "HF_HUB_CACHE", "/c", "HUGGINGFACE_HUB_CACHE", "/legacy");
    assertHubCache("/h/models", "HOME", "/h", "HF_HUB_CACHE", "~/models");
  }

  /** The hub cache of an environment of these two variables is {@code expected}. */
  static void assertHubCache(String expected, String k1, String v1, String k2, String v2) {
    assertEquals(Path.of(expected), HubEnv.from(Map.of(k1, v1, k2, v2)).hubCache());
  }

  @Test
  void endpointLosesTrailingSlashesAndMustBeHttp() {
    assertEquals(
        "https://hf-mirror.com",
        HubEnv.from(Map.of("HF_ENDPOINT", "https://hf-mirror.com/", "HOME", "/h")).endpoint());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> HubEnv.from(Map.of("HF_ENDPOINT", "hf-mirror.com", "HOME", "/h")));
    assertTrue(e.getMessage().contains("HF_ENDPOINT must be an http(s) URL"), e.getMessage());
  }

  @Test
  void offlineFlagTakesPythonsTrueValues() {
    for (String on : new String[] {"1", "true", "YES", "On"})
      assertTrue(HubEnv.from(Map.of("HOME", "/h", "HF_HUB_OFFLINE", on)).offline(), on);
    for (String off : new String[] {"0", "false", "no", " "})
      assertFalse(HubEnv.from(Map.of("HOME", "/h", "HF_HUB_OFFLINE", off)).offline(), off);
    assertTrue(HubEnv.from(Map.of("HOME", "/h", "TRANSFORMERS_OFFLINE", "1")).offline());
  }

  @Test
  void tokenFromVariableThenLegacyVariableThenTokenFile() throws IOException {
    Path hfHome = Files.createDirectories(home.resolve("hf"));
    Files.writeString(hfHome.resolve("token"), "hf_from_file\n");
    String h = hfHome.toString();

    assertEquals(Optional.of("hf_from_file"), HubEnv.from(Map.of("HF_HOME", h)).token());
    assertEquals(
        Optional.of("hf_legacy"),
        HubEnv.from(Map.of("HF_HOME", h, "HUGGING_FACE_HUB_TOKEN", "hf_legacy")).token());
    assertEquals(
        Optional.of("hf_env"),
        HubEnv.from(Map.of("HF_HOME", h, "HF_TOKEN", "hf_env", "HUGGING_FACE_HUB_TOKEN", "x"))
            .token());
    Path other = Files.writeString(home.resolve("other-token"), "hf_other");
    assertEquals(
        Optional.of("hf_other"),
        HubEnv.from(Map.of("HF_HOME", h, "HF_TOKEN_PATH", other.toString())).token());
  }

  @Test
  void toStringHidesTheToken() {
    HubEnv env = HubEnv.from(Map.of("HOME", "/h", "HF_TOKEN", "hf_secret"));
    assertFalse(env.toString().contains("hf_secret"), env.toString());
    assertTrue(env.toString().contains("token=set"), env.toString());
  }
}
