package io.liandan.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sweep over a base spec: {@code {"grid": {"sft.learning_rate": [1e-4, 3e-4], "sft.lora_r": [4,
 * 8]}}} (every combination, first key slowest) or {@code {"list": [{"sft.learning_rate": 1e-4},
 * …]}}. A key is {@code <stage>.<hyperparameter>} (into that stage's args) or {@code
 * <stage>.eval_ratio|dtype|label}. Each variant is the base spec with its overrides applied and
 * without {@code sweep}; it runs as a child workflow. Pure: the workflow expands sweeps itself.
 */
public final class Sweep {
  /** One child pipeline: its overrides ({@code sft.learning_rate=0.0001, …}) and its spec. */
  public record Variant(String label, ObjectNode spec) {}

  private Sweep() {}

  /** The variants of {@code spec}'s sweep; problems (bad keys, bad variant specs) appended. */
  public static List<Variant> variants(JsonNode spec, List<String> problems) {
    JsonNode sweep = spec.get("sweep");
    List<Map<String, JsonNode>> overrides = new ArrayList<>();
    if (sweep == null
        || !sweep.isObject()
        || sweep.size() != 1
        || !(sweep.has("grid") || sweep.has("list"))) {
      problems.add("sweep: must be {\"grid\": {key: [values…]}} or {\"list\": [{key: value}…]}");
      return List.of();
    }
    if (sweep.has("grid")) {
      JsonNode grid = sweep.get("grid");
      overrides.add(new LinkedHashMap<>());
      for (Iterator<Map.Entry<String, JsonNode>> it = grid.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isArray() || e.getValue().isEmpty()) {
          problems.add("sweep.grid." + e.getKey() + ": must be a non-empty list of values");
          return List.of();
        }
        List<Map<String, JsonNode>> next = new ArrayList<>();
        for (Map<String, JsonNode> o : overrides)
          for (JsonNode v : e.getValue()) {
            Map<String, JsonNode> m = new LinkedHashMap<>(o);
            m.put(e.getKey(), v);
            next.add(m);
          }
        overrides = next;
      }
    } else {
      JsonNode list = sweep.get("list");
      if (!list.isArray() || list.isEmpty()) {
        problems.add("sweep.list: must be a non-empty list of {key: value} objects");
        return List.of();
      }
      for (JsonNode o : list) {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        o.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
        overrides.add(m);
      }
    }
    List<Variant> out = new ArrayList<>();
    for (int i = 0; i < overrides.size(); i++) {
      ObjectNode v = spec.deepCopy();
      v.remove("sweep");
      List<String> labels = new ArrayList<>();
      int before = problems.size();
      for (Map.Entry<String, JsonNode> o : overrides.get(i).entrySet()) {
        apply(v, o.getKey(), o.getValue(), "sweep[" + i + "]", problems);
        labels.add(o.getKey() + "=" + o.getValue());
      }
      if (problems.size() == before) {
        List<String> p = new ArrayList<>();
        PipelineSpec.parse(v, p);
        for (String s : p) problems.add("sweep[" + i + "] " + s);
      }
      out.add(new Variant(String.join(", ", labels), v));
    }
    return out;
  }

  private static void apply(
      ObjectNode spec, String key, JsonNode value, String where, List<String> problems) {
    int dot = key.indexOf('.');
    if (dot < 0) {
      problems.add(where + ": key '" + key + "' is not <stage>.<hyperparameter>");
      return;
    }
    String stage = key.substring(0, dot), field = key.substring(dot + 1);
    JsonNode stages = spec.get("stages");
    if (stages instanceof ArrayNode arr)
      for (JsonNode s : arr)
        if (s.isObject() && stage.equals(s.path("stage").asText())) {
          ObjectNode target = (ObjectNode) s;
          if (!List.of("eval_ratio", "dtype", "label").contains(field)) {
            if (!target.path("args").isObject()) target.putObject("args");
            target = (ObjectNode) target.get("args");
          }
          target.set(field, value);
          return;
        }
    problems.add(where + ": the spec has no stage '" + stage + "' for '" + key + "'");
  }
}
