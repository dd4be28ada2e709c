// Scenario 5: HF_HUB_OFFLINE=1 serves the cache with zero requests; an unreachable Hub falls back
// to it.
package io.liandan.activities.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OfflineTest extends HubFixture {
  @Test
  void offlineModeServesTheCachedSnapshotWithoutAnyRequest() {
    Path online = downloader().download(SourceSpec.model(MODEL_ID));
    int before = hub.requests().size();

    HubDownloader offline = downloader("HF_HUB_OFFLINE", "1");
    Path byRef = offline.download(SourceSpec.model(MODEL_ID));
    Path bySha = offline.download(SourceSpec.parse("hf:acme/tiny-qwen@" + MAIN), "*.json");

    assertEquals(online, byRef);
    assertEquals(online, bySha);
    assertEquals(before, hub.requests().size(), "no HTTP request offline");
  }

  @Test
  void offlineModeFailsClearlyWhenNotCached() {
    downloader().download(SourceSpec.model(MODEL_ID), "*.json");
    int before = hub.requests().size();
    HubDownloader offline = downloader("HF_HUB_OFFLINE", "true");

    HubException tag =
        assertThrows(
            HubException.class, () -> offline.download(SourceSpec.parse("hf:acme/tiny-qwen@v1.0")));
    assertEquals(HubException.Reason.NOT_CACHED, tag.reason());
    assertTrue(
        tag.getMessage().startsWith("model acme/tiny-qwen at revision v1.0 is not in the cache"),
        tag.getMessage());
    assertTrue(tag.getMessage().contains("HF_HUB_OFFLINE is set"), tag.getMessage());

    HubException dataset =
        assertThrows(HubException.class, () -> offline.download(SourceSpec.dataset(DATASET_ID)));
    assertTrue(
        dataset.getMessage().contains("dataset acme/tiny-chat at revision main"),
        dataset.getMessage());

    // main is cached, but only its JSON files: asking for the weights offline must not pass.
    HubException weights =
        assertThrows(
            HubException.class,
            () -> offline.download(SourceSpec.model(MODEL_ID), "*.safetensors"));
    assertTrue(
        weights.getMessage().contains("has no cached file matching allow [*.safetensors]"),
        weights.getMessage());
    assertEquals(before, hub.requests().size());
  }

  @Test
  void unreachableHubFallsBackToTheCacheAndOtherwiseFailsRetryably() {
    Path cached = downloader().download(SourceSpec.model(MODEL_ID));
    HubDownloader d = downloader();
    hub.close(); // connection refused from now on

    assertEquals(cached, d.download(SourceSpec.model(MODEL_ID)));

    HubException e =
        assertThrows(HubException.class, () -> d.download(SourceSpec.dataset(DATASET_ID)));
    assertEquals(HubException.Reason.NETWORK, e.reason());
    assertTrue(e.retryable());
    assertTrue(e.getMessage().contains("cannot be reached"), e.getMessage());
    assertTrue(Files.isDirectory(cached));
  }
}
