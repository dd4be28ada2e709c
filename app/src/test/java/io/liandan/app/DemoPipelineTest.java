package io.liandan.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.contracts.LocalPaths;
import io.liandan.llm.demo.DemoPipeline;
import io.liandan.workflows.PipelineSpec;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo spec (examples/demo/pipeline.json) is a valid PipelineSpec, and so is its short cut. */
class DemoPipelineTest {
  @Test
  void theDemoSpecAndItsShortVersionAreValid(@TempDir Path dir) throws Exception {
    ObjectMapper json = new ObjectMapper();
    PipelineSpec full =
        PipelineSpec.parse(json.readTree(Path.of("../examples/demo/pipeline.json").toFile()));
    assertEquals(5, full.stages().size());
    assertEquals("full", full.stage("pt").args().finetuningType());
    assertEquals("lora", full.stage("dpo").args().finetuningType());
    PipelineSpec orpo =
        PipelineSpec.parse(json.readTree(Path.of("../examples/demo/pipeline-orpo.json").toFile()));
    assertTrue(orpo.stage("dpo").args().preferenceLoss().referenceFree(), "ORPO, no reference");
    assertEquals(full.stage("sft").args(), orpo.stage("sft").args(), "the same demo up to DPO");
    PipelineSpec kto =
        PipelineSpec.parse(json.readTree(Path.of("../examples/demo/pipeline-kto.json").toFile()));
    assertEquals(null, kto.stage("dpo"));
    assertEquals("preference", kto.inputs(kto.stage("kto")).get(0).format().format().id());
    assertEquals(full.stage("sft").args(), kto.stage("sft").args(), "the same demo up to KTO");

    Path spec = DemoPipeline.writeShort(dir, DemoPipeline.Size.QUICK);
    PipelineSpec quick =
        PipelineSpec.parse(LocalPaths.resolvePaths(json.readTree(spec.toFile()), dir));
    assertEquals(24, quick.stage("sft").args().maxSteps());
    assertEquals(4, quick.stage("sft").args().saveSteps());
    assertEquals(full.stage("sft").args().loraR(), quick.stage("sft").args().loraR());
    assertEquals(java.util.List.of(), quick.missingFiles(dir));
    assertTrue(java.nio.file.Files.exists(dir.resolve("model/tokenizer.json")));
  }
}
