package io.liandan.llm.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The demo pipeline: llm's demo world (a mini Qwen2 config with its own BPE tokenizer, a
 * pretraining corpus, instructions, preference pairs) and its spec, {@code
 * examples/demo/pipeline.json}: the model from scratch through PT (full) → SFT (LoRA) → DPO (LoRA)
 * → eval → merge. {@link #writeDemo} writes it as it is; {@link #writeShort} writes a small world
 * and the same spec cut to a few steps per stage, for tests and the quick demo.
 */
public final class DemoPipeline {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** A short run: optimizer steps of PT, SFT and DPO, and how often each checkpoints. */
  public record Size(int ptSteps, int sftSteps, int dpoSteps, int saveSteps) {
    public static final Size QUICK = new Size(12, 24, 6, 4);
  }

  /** The seed of the short demo's world (the full demo's is {@link DemoData#SEED}). */
  public static final long SHORT_SEED = 7;

  private DemoPipeline() {}

  /** The demo at full size: its folder's {@code pipeline.json}. */
  public static Path writeDemo(Path dir) {
    return writeDemo(dir, DemoData.DEFAULT_FAMILY);
  }

  /** The demo at full size with the mini model in {@code family}'s shape. */
  public static Path writeDemo(Path dir, String family) {
    DemoData.writeDemo(dir, family);
    return dir.resolve(DemoData.SPEC);
  }

  /**
   * A small world and the demo spec with each training stage cut to {@code size}: fixed steps,
   * logged every step, checkpointed every {@code saveSteps}, evaluated only at the end.
   */
  public static Path writeShort(Path dir, Size size) {
    return writeShort(dir, size, DemoData.DEFAULT_FAMILY);
  }

  /** {@link #writeShort(Path, Size)} with the mini model in {@code family}'s shape. */
  public static Path writeShort(Path dir, Size size, String family) {
    new DemoData(SHORT_SEED).write(dir, 240, 320, 160, family);
    Path spec = dir.resolve(DemoData.SPEC);
    try (var in = DemoData.class.getResourceAsStream(DemoData.SPEC)) {
      ObjectNode s = (ObjectNode) JSON.readTree(in);
      for (JsonNode stage : s.get("stages")) {
        int steps =
            switch (stage.get("stage").asText()) {
              case "pt" -> size.ptSteps();
              case "sft" -> size.sftSteps();
              case "dpo", "kto" -> size.dpoSteps();
              default -> 0;
            };
        if (steps == 0) continue;
        ((ObjectNode) stage.get("args"))
            .put("max_steps", steps)
            .put("per_device_train_batch_size", 8)
            .put("logging_steps", 1)
            .put("save_steps", size.saveSteps())
            .put("save_total_limit", 0)
            .put("eval_steps", 0);
      }
      Files.writeString(spec, JSON.writeValueAsString(s) + "\n");
      return spec;
    } catch (IOException e) {
      throw new UncheckedIOException(spec + ": " + e.getMessage(), e);
    }
  }
}
