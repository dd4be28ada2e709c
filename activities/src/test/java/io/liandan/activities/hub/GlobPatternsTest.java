// fnmatch semantics checked against answers taken from CPython's fnmatch.fnmatchcase.
package io.liandan.activities.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GlobPatternsTest {
  // {name, pattern, what Python 3's fnmatch.fnmatchcase(name, pattern) returns}
  static Stream<Arguments> python() {
    Object[][] cases = {
      {"config.json", "*.json", true},
      {"sub/dir/x.json", "*.json", true}, // '*' crosses '/', unlike a shell glob
      {"config.JSON", "*.json", false},
      {"model-00001-of-00002.safetensors", "model-*.safetensors", true},
      {"model.safetensors", "model-*.safetensors", false},
      {"a/b", "a?b", true},
      {"ab", "a?b", false},
      {"xbc", "[!a]bc", true},
      {"abc", "[!a]bc", false},
      {"bx", "[a-c]x", true},
      {"dx", "[a-c]x", false},
      {"-x", "[a-]x", true},
      {"]", "[]]", true},
      {"[", "[", true},
      {"[abc", "[abc", true},
      {"a+b.txt", "a+b.txt", true},
      {"aab.txt", "a+b.txt", false},
      {"(x)|y", "(x)|y", true},
      {"&", "[&&x]", true}, // '&&' is intersection in a Java class, a plain '&' in Python
      {"x", "[z-a]", false},
      {"x", "[!z-a]", true},
      {"\\", "[\\]", true},
      {"a\\b", "a\\b", true},
      {"data/train.jsonl", "data/*", true},
      {"data", "data/*", false},
      {"x.bin", "*.bin", true},
      {"pytorch_model.bin", "*.safetensors", false},
      {"^x", "[^]x", true},
      {"a.b", "a.b", true},
      {"axb", "a.b", false},
      {"", "*", true},
      {"línea.txt", "l?nea.txt", true},
      {"$HOME", "$HOME", true},
    };
    return Stream.of(cases).map(Arguments::of);
  }

  @ParameterizedTest(name = "fnmatch({0}, {1}) == {2}")
  @MethodSource("python")
  void matchesLikePythonFnmatch(String name, String pattern, boolean expected) {
    assertEquals(expected, GlobPatterns.fnmatch(name, pattern));
  }

  @Test
  void trailingSlashMeansEverythingUnderTheFolder() {
    assertTrue(GlobPatterns.fnmatch("original/consolidated.pth", "original/"));
    assertTrue(GlobPatterns.fnmatch("original/sub/x", "original/"));
    assertFalse(GlobPatterns.fnmatch("original", "original/"));
  }

  @Test
  void allowThenIgnoreAsInFilterRepoObjects() {
    List<String> files =
        List.of(
            "config.json",
            "model.safetensors",
            "tokenizer.json",
            "original/model.pth",
            "README.md");

    assertEquals(files, files.stream().filter(GlobPatterns.ALL::matches).toList());
    assertEquals(
        List.of("config.json", "model.safetensors"),
        files.stream()
            .filter(GlobPatterns.allow("*.json", "*.safetensors").ignoring("tokenizer*")::matches)
            .toList());
    assertEquals(
        List.of("config.json", "model.safetensors", "tokenizer.json"),
        files.stream().filter(GlobPatterns.ignore("original/", "*.md")::matches).toList());
  }
}
