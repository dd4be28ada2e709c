package io.liandan.spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a stage's model comes from: a Hugging Face checkpoint folder, with LoRA adapters of earlier
 * stages merged into it in order — how SFT-LoRA → DPO chains (DPO starts from base + SFT adapter
 * merged, and that merged model is its reference). A folder holding only {@code config.json} and
 * the tokenizer files means a model initialised at random from that config (training from scratch,
 * seeded by the stage's {@code seed}). Paths are strings so the record crosses Temporal as JSON.
 */
public record ModelSource(String dir, List<String> adapters) {
  public ModelSource {
    if (dir == null || dir.isBlank()) throw new IllegalArgumentException("model: no folder given");
    adapters = adapters == null ? List.of() : List.copyOf(adapters);
  }

  public static ModelSource of(Path dir) {
    return new ModelSource(dir.toString(), List.of());
  }

  public Path path() {
    return Path.of(dir);
  }

  /** True when the folder has a config but no weights: initialise at random. */
  public boolean fromScratch() {
    Path p = path();
    return !Files.exists(p.resolve("model.safetensors"))
        && !Files.exists(p.resolve("model.safetensors.index.json"));
  }

  /** This source with one more adapter merged on top. */
  public ModelSource withAdapter(Path adapter) {
    List<String> a = new ArrayList<>(adapters);
    a.add(adapter.toString());
    return new ModelSource(dir, a);
  }
}
