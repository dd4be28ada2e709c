package io.liandan.workflows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.contracts.BadSpecException;
import io.liandan.contracts.LocalPaths;
import io.liandan.contracts.StageKeys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineSpecTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static ObjectNode spec(String name) {
    try (InputStream in = PipelineSpecTest.class.getResourceAsStream("/specs/" + name)) {
      return (ObjectNode) JSON.readTree(in);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void parsesEveryStageWithDefaultsUnderTheirTrainingArgumentsNames() {
    PipelineSpec s = PipelineSpec.parse(spec("full.json"));
    assertEquals(
        List.of("pt", "sft", "dpo", "eval", "merge"),
        s.stages().stream().map(StageSpec::stage).toList());
    assertEquals("full", s.stages().get(0).args().finetuningType());
    assertEquals(0.001, s.stage("sft").args().learningRate());
    assertEquals(8, s.stage("sft").args().loraR()); // default
    assertEquals(0.1, s.stage("sft").evalRatio());
    assertEquals("alpaca", s.inputs(s.stage("sft")).get(0).format().format().id());
    assertNull(s.queues().cpu()); // the workflow's own queue
    assertEquals(5, s.heartbeatTimeoutSeconds());
  }

  @Test
  void anUnknownHyperparameterDoesNotHideABadValueBesideItNorAMissingFile(@TempDir Path dir) {
    ObjectNode bad = spec("full.json");
    ObjectNode args = (ObjectNode) bad.get("stages").get(1).get("args");
    args.put("lerning_rate", 1e-4);
    args.put("learning_rate", -1e-4);
    bad.put("model", dir.resolve("no-model").toString());
    List<String> p = new ArrayList<>();
    assertNull(PipelineSpec.parse(bad, p));
    p.addAll(LocalPaths.missingFiles(bad, dir));
    assertContains(p, "stages[1].args.lerning_rate: unknown hyperparameter (did you mean");
    assertContains(p, "stages[1].args.learning_rate: must be in (0, 1), got -1.0E-4");
    assertContains(p, "model: folder " + dir.resolve("no-model") + " does not exist");
  }

  @Test
  void aBadSpecListsEveryProblemWithItsPath() {
    ObjectNode bad = spec("full.json");
    bad.put("modle", "x");
    ((ObjectNode) bad.get("stages").get(1).get("args")).put("learning_rat", 0.1);
    ((ObjectNode) bad.get("stages").get(1).get("args")).put("max_steps", "ten");
    ((ObjectNode) bad.get("stages").get(2)).putArray("datasets").add("nope");
    ((ObjectNode) bad.get("stages").get(0)).putArray("datasets").add("chat");
    ((ObjectNode) bad.get("datasets").get("corpus")).put("split", "test");
    bad.withArray("stages")
        .add(JSON.createObjectNode().put("stage", "sft").put("datasets", "chat"));
    bad.put("device", "tpu");
    BadSpecException e = assertThrows(BadSpecException.class, () -> PipelineSpec.parse(bad));
    List<String> p = e.problems();
    assertContains(p, "modle: unknown key");
    assertContains(
        p, "stages[1].args.learning_rat: unknown hyperparameter (did you mean learning_rate?)");
    assertContains(p, "stages[1].args.max_steps: must be an integer");
    assertContains(p, "stages[2].datasets[0]: no dataset named 'nope'");
    assertContains(p, "stages[0].datasets[0]: pt cannot train on 'chat' (format alpaca)");
    assertContains(p, "datasets.corpus.split: 'test' is not train or eval");
    assertContains(p, "stages[5].stage: sft after merge");
    assertContains(p, "device: 'tpu'");
    assertTrue(e.getMessage().startsWith("bad pipeline spec (8 problems)"), e.getMessage());
  }

  @Test
  void missingLocalFilesAreProblemsToo(@TempDir Path dir) throws IOException {
    ObjectNode s = spec("full.json");
    s.put("model", "model");
    Files.createDirectories(dir.resolve("model"));
    Files.writeString(dir.resolve("corpus.jsonl"), "{\"text\":\"a\"}\n");
    ObjectNode ds = (ObjectNode) s.get("datasets");
    ((ObjectNode) ds.get("corpus")).put("source", "corpus.jsonl");
    JsonNode resolved = LocalPaths.resolvePaths(s, dir);
    assertEquals(dir.resolve("model").toString(), resolved.get("model").asText());
    List<String> missing = PipelineSpec.parse(resolved).missingFiles(dir);
    assertEquals(2, missing.size(), missing.toString()); // chat and prefs
    assertContains(missing, "datasets.chat.source: /data/chat.jsonl not found");
  }

  @Test
  void aGridSweepExpandsEveryCombinationAndChecksEach() {
    ObjectNode s = spec("full.json");
    ObjectNode grid = s.putObject("sweep").putObject("grid");
    grid.putArray("sft.learning_rate").add(1e-4).add(3e-4);
    grid.putArray("sft.lora_r").add(4).add(8).add(16);
    List<String> problems = new ArrayList<>();
    List<Sweep.Variant> v = Sweep.variants(s, problems);
    assertEquals(List.of(), problems);
    assertEquals(6, v.size());
    assertEquals("sft.learning_rate=3.0E-4, sft.lora_r=16", v.get(5).label());
    PipelineSpec last = PipelineSpec.parse(v.get(5).spec());
    assertEquals(16, last.stage("sft").args().loraR());
    assertNull(last.sweep());

    grid.putArray("sft.lora_r").add(0);
    grid.putArray("ppo.beta").add(1);
    BadSpecException e = assertThrows(BadSpecException.class, () -> PipelineSpec.parse(s));
    assertContains(e.problems(), "sweep[0]: the spec has no stage 'ppo'");
  }

  @Test
  void stageKeysFollowSettingsAndInputsOnly() {
    PipelineSpec s = PipelineSpec.parse(spec("full.json"));
    String a = StageKeys.key("sft", s.stage("sft").args().toJson(), "tok1", "model1");
    assertEquals(a, StageKeys.key("sft", s.stage("sft").args().toJson(), "tok1", "model1"));
    assertTrue(!a.equals(StageKeys.key("sft", s.stage("sft").args().toJson(), "tok2", "model1")));
    assertTrue(!a.equals(StageKeys.key("sft", s.stage("pt").args().toJson(), "tok1", "model1")));
    // key order in the JSON does not matter
    assertEquals(
        StageKeys.key("x", JSON.createObjectNode().put("a", 1).put("b", 2)),
        StageKeys.key("x", JSON.createObjectNode().put("b", 2).put("a", 1)));
  }

  /** The full spec with its dpo stage swapped for a kto stage with {@code args}. */
  static ObjectNode ktoSpec(String args) throws IOException {
    ObjectNode s = spec("full.json");
    ((ObjectNode) s.get("datasets"))
        .set(
            "kto",
            JSON.readTree(
                "{\"source\": \"/data/kto.jsonl\", \"format\": {\"formatting\": \"alpaca\","
                    + " \"columns\": {\"kto_tag\": \"kto_tag\"}}}"));
    ObjectNode kto = (ObjectNode) s.get("stages").get(2);
    kto.put("stage", "kto");
    kto.set("datasets", JSON.readTree("[\"kto\"]"));
    kto.set("args", JSON.readTree(args));
    return s;
  }

  @Test
  void ktoStageReadsKtoOrPreferenceDataWithKtoConfigNames() throws IOException {
    PipelineSpec s =
        PipelineSpec.parse(
            ktoSpec(
                "{\"max_steps\": 3, \"beta\": 0.2, \"desirable_weight\": 1.33,"
                    + " \"undesirable_weight\": 1.0, \"max_length\": 64,"
                    + " \"max_prompt_length\": 32, \"fp16\": true,"
                    + " \"gradient_checkpointing\": true}"));
    assertEquals(
        List.of("pt", "sft", "kto", "eval", "merge"),
        s.stages().stream().map(StageSpec::stage).toList());
    StageSpec kto = s.stage("kto");
    assertTrue(kto.training());
    assertEquals(1.33, kto.args().desirableWeight());
    assertEquals(1.0, kto.args().undesirableWeight());
    assertEquals(0.2, kto.args().beta());
    assertTrue(kto.args().fp16() && kto.args().gradientCheckpointing(), "as the dpo stage takes");
    assertEquals("kto", s.inputs(kto).get(0).format().format().id(), "kto_tag makes alpaca kto");
    assertEquals("kto", kto.args().tokenizeSpec("kto", 0.1).kind());

    // preference pairs are unpaired for KTO, as KTOTrainer does
    ObjectNode prefs = ktoSpec("{}");
    ((ObjectNode) prefs.get("stages").get(2)).set("datasets", JSON.readTree("[\"prefs\"]"));
    assertEquals(
        "preference",
        PipelineSpec.parse(prefs)
            .inputs(PipelineSpec.parse(prefs).stage("kto"))
            .get(0)
            .format()
            .format()
            .id());
  }

  @Test
  void badKtoStagesNameTheField() throws IOException {
    ObjectNode bad =
        ktoSpec(
            "{\"per_device_train_batch_size\": 1, \"desirable_weight\": 0,"
                + " \"loss_type\": \"orpo\"}");
    ((ObjectNode) bad.get("stages").get(2)).set("datasets", JSON.readTree("[\"chat\"]"));
    ((ObjectNode) bad.get("stages").get(1).get("args")).put("undesirable_weight", 2.0);
    List<String> p = new ArrayList<>();
    assertNull(PipelineSpec.parse(bad, p));
    assertContains(p, "stages[2].datasets[0]: kto cannot train on 'chat' (format alpaca)");
    assertContains(p, "stages[2].args.desirable_weight: must be > 0, got 0.0");
    assertContains(p, "stages[2].args.per_device_train_batch_size: kto needs >= 2");
    assertContains(p, "stages[2].args.loss_type: a kto stage trains KTO's loss");
    assertContains(p, "stages[1].args.undesirable_weight: a KTO weight, for a kto stage, not sft");

    // one preference stage: eval scores preference data against that stage's start
    ObjectNode both = spec("full.json");
    ((ObjectNode) both.get("datasets")).set("kto", ktoSpec("{}").get("datasets").get("kto"));
    ((com.fasterxml.jackson.databind.node.ArrayNode) both.get("stages"))
        .insert(3, JSON.readTree("{\"stage\": \"kto\", \"datasets\": [\"kto\"]}"));
    p.clear();
    assertNull(PipelineSpec.parse(both, p));
    assertContains(p, "stages[3].stage: kto after dpo; a pipeline has one preference stage");
    // and the alpaca-kto data cannot go to an sft stage
    ObjectNode sftOnKto = ktoSpec("{}");
    ((ObjectNode) sftOnKto.get("stages").get(1)).set("datasets", JSON.readTree("[\"kto\"]"));
    p.clear();
    assertNull(PipelineSpec.parse(sftOnKto, p));
    assertContains(p, "stages[1].datasets[0]: sft cannot train on 'kto' (format kto)");
  }

  static void assertContains(List<String> problems, String start) {
    assertTrue(
        problems.stream().anyMatch(p -> p.startsWith(start)),
        "no problem starting with '" + start + "' in:\n  " + String.join("\n  ", problems));
  }
}
