package io.liandan.ui;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The tracker sends {@code Content-Security-Policy: script-src 'self'} (HttpSafety): a page with an
 * inline script or an on* attribute would silently lose it in the browser. Every page keeps its
 * code in files.
 */
class NoInlineScriptTest {
  private static final Path PAGES = Path.of("src/main/resources/liandan-ui");
  private static final Pattern SCRIPT =
      Pattern.compile(
          "<script\\b([^>]*)>(.*?)</script>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);
  private static final Pattern HANDLER =
      Pattern.compile("<[^>]*\\son[a-z]+\\s*=", Pattern.CASE_INSENSITIVE);

  @Test
  void pagesHaveNoInlineScriptsOrHandlers() throws IOException {
    List<Path> pages;
    try (Stream<Path> s = Files.list(PAGES)) {
      pages = s.filter(p -> p.toString().endsWith(".html")).toList();
    }
    assertTrue(pages.size() >= 4, "found the pages: " + pages);
    for (Path page : pages) {
      String html = Files.readString(page);
      Matcher m = SCRIPT.matcher(html);
      while (m.find()) {
        assertTrue(m.group(1).contains("src="), page + ": a script without src: " + m.group());
        assertTrue(m.group(2).isBlank(), page + ": inline script code: " + m.group());
      }
      assertFalse(HANDLER.matcher(html).find(), page + ": an on* handler attribute");
      assertFalse(html.toLowerCase().contains("javascript:"), page + ": a javascript: URL");
    }
  }
}
