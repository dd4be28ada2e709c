package io.liandan.llm.data.template;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code tojson} against Python's json.dumps (outputs pasted from Python 3). */
class PyJsonTest {
  @Test
  void floatsAsPythonRepr() {
    List<Object> xs =
        Arrays.asList(
            1e-5,
            123456789012345678.0,
            0.1 + 0.2,
            -0.0,
            1e22,
            100.0,
            1.5,
            2.5e-7,
            0.0001,
            1234567890123456.0,
            Double.NaN,
            Double.POSITIVE_INFINITY);
    assertEquals(
        "[1e-05, 1.2345678901234568e+17, 0.30000000000000004, -0.0, 1e+22, 100.0, 1.5, 2.5e-07,"
            + " 0.0001, 1234567890123456.0, NaN, Infinity]",
        PyJson.dumps(xs));
  }

  @Test
  void ensureAsciiAndKeys() {
    Map<Object, Object> m = new LinkedHashMap<>();
    m.put("b", "é🤖\u2028\u007f");
    m.put("a", List.of(1, Map.of()));
    m.put(3, null);
    m.put(true, 1.0);
    assertEquals(
        "{\"b\": \"\\u00e9\\ud83e\\udd16\\u2028\\u007f\", \"a\": [1, {}], \"3\": null, \"true\": 1.0}",
        PyJson.dumps(m, true, null, false));
    assertEquals(
        "{\"b\": \"é🤖\u2028\u007f\", \"a\": [1, {}], \"3\": null, \"true\": 1.0}",
        PyJson.dumps(m));
  }

  @Test
  void indentAndSortKeys() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("b", 1);
    m.put("a", List.of(1, Map.of()));
    m.put("c", new ArrayList<>());
    assertEquals(
        "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": 1,\n  \"c\": []\n}",
        PyJson.dumps(m, false, "  ", true));
  }
}
