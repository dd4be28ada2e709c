package io.liandan.workflows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.contracts.EvalPayload;
import io.liandan.contracts.FormatPayload;
import io.liandan.contracts.MergePayload;
import io.liandan.contracts.StageRef;
import io.liandan.contracts.TokenizePayload;
import io.liandan.contracts.TrainPayload;
import io.liandan.spec.DatasetInput;
import io.liandan.spec.EvalRequest;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;
import io.liandan.spec.MergeRequest;
import io.liandan.spec.ModelSource;
import io.liandan.spec.TrainRequest;
import io.liandan.spec.TrainingArgs;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stage payloads on the wire: each crosses Temporal's data converter unchanged, and the one
 * payload every stage took before ({@code StageRequestV1} in contracts) still reads as each stage's
 * own — the inputs of activities scheduled by the previous version, as the recorded histories hold
 * them, so a stage retried across an upgrade (a training stage resuming from its checkpoint) still
 * runs.
 */
class PayloadCompatTest {
  static final DataConverter CONVERTER = DefaultDataConverter.STANDARD_INSTANCE;
  static final ObjectMapper JSON = new ObjectMapper();

  static Object roundTrip(Object value) {
    return read(CONVERTER.toPayloads(value).orElseThrow(), value.getClass());
  }

  @Test
  void everyPayloadCrossesTheDataConverterUnchanged() {
    StageRef ref = new StageRef("p1", "g1", "proj", "sft", "sft", "0123456789abcdef", 5);
    ModelSource model = new ModelSource("/models/tiny", List.of("/a/pt-1"));
    TrainingArgs args = TrainingArgs.defaults();
    DatasetInput data =
        new DatasetInput("/data/chat.jsonl", List.of(), FormatSpec.of(Format.ALPACA), "train");
    List<Object> payloads =
        List.of(
            new FormatPayload(ref, List.of(data)),
            new TokenizePayload(ref, "/a/format-1", "/models/tiny", args.tokenizeSpec("sft", 0.1)),
            new TrainPayload(
                ref,
                new TrainRequest("sft", model, "/a/tok-1", args, List.of("hi"), true, null, "cpu")),
            new EvalPayload(
                ref,
                new EvalRequest(
                    model, null, List.of("/a/tok-1"), List.of("hi"), "final", args, null, "cpu")),
            new MergePayload(ref, new MergeRequest(model, null, "bfloat16", "cpu")));
    for (Object p : payloads) {
      assertEquals(p, roundTrip(p), p.getClass().getName());
      // what a later version adds beside the payload's fields is passed over
      ObjectNode later = JSON.valueToTree(p);
      later.put("addedLater", 1);
      assertEquals(p, read(CONVERTER.toPayloads(later).orElseThrow(), p.getClass()));
    }
  }

  /** The activities each recorded history scheduled, as (type, input) of the previous version. */
  static List<Map.Entry<String, Payloads>> scheduled(String file) throws Exception {
    String json =
        new String(
            PayloadCompatTest.class.getResourceAsStream("/histories/" + file).readAllBytes(),
            StandardCharsets.UTF_8);
    List<Map.Entry<String, Payloads>> out = new ArrayList<>();
    for (HistoryEvent e : WorkflowExecutionHistory.fromJson(json).getEvents())
      if (e.hasActivityTaskScheduledEventAttributes()) {
        var a = e.getActivityTaskScheduledEventAttributes();
        out.add(Map.entry(a.getActivityType().getName(), a.getInput()));
      }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"pipeline-full-v1.json", "pipeline-kto.json"})
  void thePreviousVersionsInputsReadAsEachStagesPayload(String file) throws Exception {
    int stages = 0;
    for (Map.Entry<String, Payloads> s : scheduled(file)) {
      JsonNode old = JSON.readTree(s.getValue().getPayloads(0).getData().toByteArray());
      if (!old.has("kind")) continue; // MissingFiles, Download: their inputs did not change
      stages++;
      TrainingArgs args = JSON.treeToValue(old.get("args"), TrainingArgs.class);
      StageRef ref =
          switch (s.getKey()) {
            case "Format" -> {
              FormatPayload p = read(s.getValue(), FormatPayload.class);
              assertEquals(old.get("datasets").size(), p.datasets().size());
              assertEquals(old.at("/datasets/0/source").asText(), p.datasets().get(0).source());
              yield p.stage();
            }
            case "Tokenize" -> {
              TokenizePayload p = read(s.getValue(), TokenizePayload.class);
              assertEquals(old.at("/inputs/0").asText(), p.formatted());
              assertEquals(old.get("modelDir").asText(), p.modelDir());
              assertEquals(
                  args.tokenizeSpec(
                      old.get("trainingStage").asText(), old.get("evalRatio").asDouble()),
                  p.spec());
              yield p.stage();
            }
            case "Train" -> {
              TrainPayload p = read(s.getValue(), TrainPayload.class);
              TrainRequest r = p.request();
              assertEquals(old.get("kind").asText(), r.stage());
              assertEquals(model(old.get("model")), r.model());
              assertEquals(old.at("/inputs/0").asText(), r.tokenized());
              assertEquals(args, r.args());
              assertEquals(texts(old.get("samplePrompts")), r.samplePrompts());
              assertEquals(old.get("sampleBefore").asBoolean(), r.sampleBefore());
              assertNull(r.out(), "the activity picks the folder");
              yield p.stage();
            }
            case "Eval" -> {
              EvalPayload p = read(s.getValue(), EvalPayload.class);
              EvalRequest r = p.request();
              assertEquals(model(old.get("model")), r.model());
              assertEquals(model(old.get("reference")), r.reference());
              assertNotNull(r.reference(), "a preference stage ran: eval scores against its start");
              assertEquals(texts(old.get("inputs")), r.tokenized());
              assertEquals(old.get("label").asText(), r.label());
              assertEquals(args, r.args());
              yield p.stage();
            }
            case "Merge" -> {
              MergePayload p = read(s.getValue(), MergePayload.class);
              assertEquals(model(old.get("model")), p.request().model());
              assertEquals(old.get("dtype").asText(), p.request().dtype());
              yield p.stage();
            }
            default -> throw new AssertionError("unexpected activity " + s.getKey());
          };
      assertEquals(
          new StageRef(
              old.get("pipelineId").asText(),
              old.get("group").asText(),
              old.get("project").asText(),
              old.get("name").asText(),
              old.get("kind").asText(),
              old.get("key").asText(),
              old.get("progressIntervalSeconds").asDouble()),
          ref,
          s.getKey());
    }
    assertEquals(11, stages, "format, tokenize and train per training stage; eval; merge");
  }

  static <T> T read(Payloads p, Class<T> type) {
    return CONVERTER.fromPayloads(0, Optional.of(p), type, type);
  }

  static ModelSource model(JsonNode json) throws Exception {
    return json == null || json.isNull() ? null : JSON.treeToValue(json, ModelSource.class);
  }

  static List<String> texts(JsonNode json) {
    List<String> out = new ArrayList<>();
    json.forEach(t -> out.add(t.asText()));
    return out;
  }
}
