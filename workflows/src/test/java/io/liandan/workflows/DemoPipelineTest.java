package io.liandan.workflows;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** examples/demo/pipeline.json is the demo's spec as the code builds it, and a valid one. */
class DemoPipelineTest {
  static final Path EXAMPLE = Path.of("../examples/demo/pipeline.json");

  @Test
  void theCommittedExampleIsTheDemoSpec() throws Exception {
    var spec = DemoPipeline.spec(DemoPipeline.Size.DEMO);
    if (Boolean.getBoolean("liandan.writeExamples"))
      Files.writeString(
          EXAMPLE,
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(spec)
              + "\n");
    assertEquals(spec, new ObjectMapper().readTree(EXAMPLE.toFile()));
    PipelineSpec parsed = PipelineSpec.parse(spec);
    assertEquals(5, parsed.stages().size());
    assertEquals("full", parsed.stage("pt").args().finetuningType());
    assertEquals("lora", parsed.stage("dpo").args().finetuningType());
  }
}
