package io.liandan.workflows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.demo.DemoData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The demo pipeline: llm's demo world (a mini Qwen2 config with its own BPE tokenizer, a
 * pretraining corpus, instructions, preference pairs) and a spec that takes the model from scratch
 * through PT (full) → SFT (LoRA) → DPO (LoRA) → eval → merge. {@code examples/demo/pipeline.json}
 * is {@link #spec} at the default size; {@link #write} generates the data beside it.
 */
public final class DemoPipeline {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** How big: optimizer steps of PT, SFT and DPO, and how often SFT checkpoints. */
  public record Size(int ptSteps, int sftSteps, int dpoSteps, int saveSteps) {
    public static final Size DEMO = new Size(60, 48, 24, 8);
  }

  private DemoPipeline() {}

  /** The spec, with paths relative to the folder it is written in. */
  public static ObjectNode spec(Size size) {
    ObjectNode s = JSON.createObjectNode();
    s.put("name", "demo");
    s.put("project", "demo");
    s.put("model", "model");
    ObjectNode ds = s.putObject("datasets");
    ds.putObject("corpus").put("source", "data/corpus.jsonl").put("format", "text");
    ds.putObject("instructions").put("source", "data/instructions.jsonl").put("format", "alpaca");
    ds.putObject("preferences").put("source", "data/preferences.jsonl").put("format", "preference");
    ArrayNode stages = s.putArray("stages");
    stage(stages, "pt", "corpus")
        .set(
            "args",
            args(size.ptSteps(), 3e-3, size.saveSteps())
                .put("finetuning_type", "full")
                .put("max_length", 64));
    stage(stages, "sft", "instructions")
        .set("args", args(size.sftSteps(), 1e-2, size.saveSteps()).put("lora_r", 8));
    stage(stages, "dpo", "preferences")
        .set("args", args(size.dpoSteps(), 5e-3, size.saveSteps()).put("beta", 0.1));
    stages.addObject().put("stage", "eval").putObject("args").put("max_new_tokens", 16);
    stages.addObject().put("stage", "merge").put("dtype", "float32");
    ArrayNode prompts = s.putArray("sample_prompts");
    DemoData.PROMPTS.forEach(prompts::add);
    s.put("heartbeat_timeout_seconds", 10);
    s.put("progress_interval_seconds", 1);
    return s;
  }

  private static ObjectNode stage(ArrayNode stages, String stage, String dataset) {
    ObjectNode s = stages.addObject().put("stage", stage);
    s.putArray("datasets").add(dataset);
    s.put("eval_ratio", 0.05);
    return s;
  }

  private static ObjectNode args(int steps, double lr, int saveSteps) {
    return JSON.createObjectNode()
        .put("learning_rate", lr)
        .put("max_steps", steps)
        .put("per_device_train_batch_size", 8)
        .put("logging_steps", 1)
        .put("save_steps", saveSteps)
        .put("warmup_ratio", 0.1)
        .put("lr_scheduler_type", "cosine")
        .put("max_length", 128)
        .put("max_prompt_length", 64)
        .put("max_new_tokens", 16);
  }

  /** Writes the demo's model folder, data and {@code pipeline.json} into {@code dir}. */
  public static Path write(Path dir, Size size) {
    new DemoData(7).write(dir, 240, 320, 160);
    Path spec = dir.resolve("pipeline.json");
    try {
      Files.writeString(spec, JSON.writeValueAsString(spec(size)) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(spec + ": " + e.getMessage(), e);
    }
    return spec;
  }
}
