package io.liandan.llm.stage;

import ai.djl.ndarray.NDManager;
import io.liandan.llm.model.CheckpointWriter;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.spec.MergeRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Merges a source's adapters into its base (in float32, in order) and saves {@code merged/}: a
 * Hugging Face checkpoint with the base's tokenizer files and a generation config, which loads to
 * the same logits as base + adapters. Each adapter is copied in PEFT's layout to {@code
 * adapters/NN/} beside it. merge.json is written last; a second run returns it.
 */
public final class MergeStage {
  public MergeResult run(MergeRequest req) {
    Path out = Path.of(req.out());
    Optional<MergeResult> done = StageFiles.read(out.resolve(MergeResult.FILE), MergeResult.class);
    if (done.isPresent()) return done.get();
    if (req.model().fromScratch())
      throw new IllegalArgumentException(req.model().dir() + ": no weights to merge into");
    Devices.resolve(req.device()); // a bad device or a missing GPU fails before any work
    Path merged = out.resolve("merged");
    try (NDManager m = ModelLoader.manager(req.device());
        DecoderWeights w = ModelLoader.load(req.model(), m, 0)) {
      CheckpointWriter.deleteRecursively(merged); // an attempt that died before merge.json
      CheckpointWriter.save(w, merged, req.dtype(), req.model().path());
    }
    List<String> adapters = new ArrayList<>();
    for (int i = 0; i < req.model().adapters().size(); i++) {
      Path copy = out.resolve("adapters").resolve(String.format("%02d", i + 1));
      copyFolder(Path.of(req.model().adapters().get(i)), copy);
      adapters.add(copy.toString());
    }
    MergeResult result = new MergeResult(merged.toString(), adapters);
    StageFiles.write(out.resolve(MergeResult.FILE), result);
    return result;
  }

  private static void copyFolder(Path from, Path to) {
    try (Stream<Path> files = Files.list(from)) {
      CheckpointWriter.deleteRecursively(to);
      Files.createDirectories(to);
      for (Path f : files.filter(Files::isRegularFile).toList())
        Files.copy(f, to.resolve(f.getFileName()));
    } catch (IOException e) {
      throw new UncheckedIOException(from + ": cannot copy the adapter: " + e.getMessage(), e);
    }
  }
}
