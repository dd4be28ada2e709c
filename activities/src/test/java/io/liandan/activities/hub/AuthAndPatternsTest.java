// Scenario 7: allow/ignore patterns, HF_TOKEN only for the Hub's origin, and the gated-repo
// message.
package io.liandan.activities.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuthAndPatternsTest extends HubFixture {
  @Test
  void allowAndIgnorePatternsSelectFilesAndSkipTheirRequests() {
    HubDownloader d = downloader();

    Path json = d.download(SourceSpec.model(MODEL_ID), "*.json");
    assertEquals(
        List.of("config.json", "tokenizer.json"), new HubCache(cacheRoot()).snapshotFiles(json));
    assertEquals(0, hub.requests(r -> r.path().endsWith("model.safetensors")).size());

    Path data =
        d.download(SourceSpec.dataset(DATASET_ID), GlobPatterns.allow("data/").ignoring("*.md"));
    assertEquals(List.of("data/train.jsonl"), new HubCache(cacheRoot()).snapshotFiles(data));
    assertEquals(0, hub.requests(r -> r.path().endsWith("README.md")).size());

    Path noWeights =
        d.download(
            SourceSpec.parse("hf:acme/tiny-qwen@v1.0"), GlobPatterns.ignore("*.safetensors"));
    assertEquals(List.of("config.json"), new HubCache(cacheRoot()).snapshotFiles(noWeights));
  }

  @Test
  void tokenGoesToTheHubButNotToACdnOnAnotherPort() throws IOException {
    try (FakeHub cdn = new FakeHub()) {
      hub.useCdn(cdn);
      hub.model(MODEL_ID).requiredToken = "hf_secret";

      Path snap = downloader("HF_TOKEN", "hf_secret").download(SourceSpec.model(MODEL_ID));

      assertArrayEquals(WEIGHTS.bytes(), Files.readAllBytes(snap.resolve("model.safetensors")));
      assertEquals(4, hub.requests().size()); // revision + 3 resolves
      assertTrue(
          hub.requests().stream()
              .allMatch(r -> "Bearer hf_secret".equals(r.header("Authorization"))));
      assertEquals(1, cdn.requests().size());
      assertNull(cdn.requests().get(0).header("Authorization"), "token leaked to the CDN host");
    }
  }

  @Test
  void tokenIsKeptOnARedirectWithinTheHubsOrigin() {
    downloader("HF_TOKEN", "hf_secret").download(SourceSpec.model(MODEL_ID), "*.safetensors");

    List<FakeHub.Request> cdn = hub.requests(r -> r.path().startsWith("/cdn/"));
    assertEquals(1, cdn.size());
    assertEquals("Bearer hf_secret", cdn.get(0).header("Authorization"));
  }

  @Test
  void gatedRepoWithoutTokenSaysToSetHfTokenAndAcceptTheLicense() {
    hub.model(MODEL_ID).requiredToken = "hf_secret";

    HubException e =
        assertThrows(HubException.class, () -> downloader().download(SourceSpec.model(MODEL_ID)));

    assertEquals(HubException.Reason.ACCESS_DENIED, e.reason());
    assertFalse(e.retryable());
    String m = e.getMessage();
    assertTrue(
        m.startsWith(
            "Access to model acme/tiny-qwen at revision main was denied (HTTP 401, GatedRepo"),
        m);
    assertTrue(m.contains("set HF_TOKEN"), m);
    assertTrue(
        m.contains("accepted the repo's license at " + hub.endpoint() + "/acme/tiny-qwen"), m);
    assertEquals(1, hub.requests().size(), "a 401 is not retried");
  }

  @Test
  void tokenWithoutAccessGetsA403MessageAboutTheAccount() {
    hub.model(MODEL_ID).requiredToken = "hf_secret";

    HubException e =
        assertThrows(
            HubException.class,
            () -> downloader("HF_TOKEN", "hf_other").download(SourceSpec.model(MODEL_ID)));

    assertEquals(HubException.Reason.ACCESS_DENIED, e.reason());
    assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
    assertTrue(
        e.getMessage().contains("HF_TOKEN is set but its account has no access"), e.getMessage());
    assertFalse(e.getMessage().contains("hf_other"), "the token must not appear in messages");
  }

  @Test
  void originComparesSchemeHostAndPort() {
    URI hubUri = URI.create("https://huggingface.co/api/models/x");
    assertTrue(
        HubHttp.sameOrigin(hubUri, URI.create("https://HUGGINGFACE.co:443/x/resolve/main/a")));
    assertFalse(HubHttp.sameOrigin(hubUri, URI.create("https://cdn-lfs.huggingface.co/repos/ab")));
    assertFalse(HubHttp.sameOrigin(hubUri, URI.create("http://huggingface.co/x")));
    assertFalse(HubHttp.sameOrigin(hubUri, URI.create("https://huggingface.co:8443/x")));
  }
}
