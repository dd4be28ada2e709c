package io.liandan.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The UI in a real headless Chromium against the tracker started from the shaded jar (a real
 * embedded PostgreSQL behind it): one server and one browser for the class. Chart assertions read
 * ECharts' own option (the data it draws), not the canvas. After each test the page it ended on
 * must have loaded every script and stylesheet, thrown nothing and broken no CSP rule.
 */
class UiBrowserIT {
  static final String XSS_NAME = "gamma <img src=x onerror=\"window.__xss='name'\">";
  static final String XSS_TAG = "<script>window.__xss='tag'</script>";
  static final String XSS_GEN =
      "<script>window.__xss='script'</script><img src=x onerror=\"window.__xss='img'\">";
  static final Instant T0 =
      Instant.now().minus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);

  static UiServer server;
  static Browser browser;
  static long alpha;
  static long beta;
  static long gamma;

  @BeforeAll
  static void start() {
    server = UiServer.start();
    browser = Browser.start(1280, 900);
    Seed seed = server.seed();
    alpha =
        seed.run(
            "ui",
            "alpha",
            "pipe-1",
            "sft",
            Map.of("learning_rate", 1e-4, "batch_size", 8, "model", "qwen"),
            List.of("baseline"));
    seed.curve(alpha, "train/loss", 100, s -> 2.0 - s / 100.0, T0, 1000);
    seed.curve(alpha, "eval/loss", 10, s -> 1.5 - s / 100.0, T0, 10_000);
    beta =
        seed.run(
            "ui",
            "beta",
            "pipe-1",
            "dpo",
            Map.of("learning_rate", 2e-4, "batch_size", 8, "model", "qwen", "beta", 0.1),
            List.of());
    seed.curve(beta, "train/loss", 100, s -> 3.0 - s / 50.0, T0, 1000);
    gamma =
        seed.run(
            "ui",
            XSS_NAME,
            null,
            "sft",
            Map.of("learning_rate", 1e-4, "batch_size", 16, "model", "<b>qwen</b>"),
            List.of(XSS_TAG));
    seed.curve(gamma, "train/loss", 100, s -> 2.5 - s / 100.0, T0, 1000);
    seed.samples(
        alpha,
        "generations",
        10L,
        List.of(
            Map.of("prompt", "What is 2+2?", "output", "4"),
            Map.of("prompt", "Say hi", "output", "hi")));
    seed.samples(gamma, "generations", 10L, List.of(Map.of("prompt", "Say hi", "output", XSS_GEN)));
    seed.patch(alpha, "finished", Map.of("best/eval_loss", 1.41));
    seed.patch(beta, "finished", null);
    seed.resumed(beta, T0.plusSeconds(60));
    seed.patch(gamma, "finished", null);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @AfterEach
  void thePageHadNoProblems() {
    assertEquals(List.of(), browser.problems(), browser.driver().getCurrentUrl());
  }

  /** Read in one script: the table re-renders as a whole, so element handles can go stale. */
  private List<String> texts(String css) {
    return strings(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)", css);
  }

  /** What {@code script} returns, a list of strings. */
  @SuppressWarnings("unchecked")
  private List<String> strings(String script, Object... args) {
    return (List<String>) browser.js(script, args);
  }

  private List<String> runRowNames() {
    return texts("#runs tbody tr[data-run-id] td.name a");
  }

  private Object chart(String key, String expr) {
    return browser.js(
        "const c = echarts.getInstanceByDom(document.querySelector('.chart[data-key=\"' + arguments[0]"
            + " + '\"]')); const o = c.getOption(); return "
            + expr
            + ";",
        key);
  }

  /** The paths of the page's series requests so far (the first draw's, without zooms). */
  private List<String> seriesRequests() {
    return strings(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
            + ".filter(p => p.startsWith('/api/v1/') && /metrics(\\/series)?$/.test(p))");
  }

  @SuppressWarnings("unchecked")
  private List<List<Number>> seriesData(String key, int index) {
    return (List<List<Number>>) chart(key, "o.series[" + index + "].data");
  }

  @Test
  void runsTableListsTheSeededRunsAndFiltersThem() {
    browser.open(server.url("runs.html?project=ui&group=0"));
    browser.await(10, d -> runRowNames().size() == 3 ? true : null);
    assertEquals(
        List.of("alpha", "beta", XSS_NAME).stream().sorted().toList(),
        runRowNames().stream().sorted().toList());

    WebElement filter = browser.driver().findElement(By.id("filter"));
    filter.sendKeys("config.learning_rate > 1.5e-4");
    filter.submit();
    browser.await(10, d -> runRowNames().size() == 1 ? true : null);
    assertEquals(List.of("beta"), runRowNames());
    assertTrue(browser.driver().getCurrentUrl().contains("filter=config.learning_rate"));

    filter = browser.driver().findElement(By.id("filter"));
    filter.clear();
    filter.sendKeys("config.learning_rate >");
    filter.submit();
    WebElement error = browser.await(10, d -> d.findElement(By.cssSelector("main .error")));
    assertTrue(error.getText().startsWith("filter:"), error.getText());

    // sortable by any column, and the columns are the user's pick
    browser.open(server.url("runs.html?project=ui&group=0&sort=name&cols=config.batch_size"));
    browser.await(10, d -> runRowNames().size() == 3 ? true : null);
    assertEquals(List.of("alpha", "beta", XSS_NAME), runRowNames());
    assertEquals(List.of("8", "8", "16"), texts("#runs td[data-col='config.batch_size']"));
    browser.driver().findElement(By.cssSelector("#runs th[data-col='config.batch_size']")).click();
    browser.await(10, d -> runRowNames().get(0).equals(XSS_NAME) ? true : null); // 16 first
    assertTrue(browser.driver().getCurrentUrl().contains("sort=-config.batch_size"));
    browser.driver().findElement(By.cssSelector("#columns summary")).click();
    browser.await(
        10,
        d ->
            d.findElements(By.cssSelector("#columns input[data-col='config.model']")).size() == 1
                ? true
                : null);
    browser.js("document.querySelector('#columns input[data-col=\"config.model\"]').click()");
    browser.await(10, d -> texts("#runs td[data-col='config.model']").size() == 3 ? true : null);
    assertTrue(texts("#runs td[data-col='config.model']").contains("<b>qwen</b>"));

    // grouped: the pipeline's stages together under one header, in the order they ran
    browser.open(server.url("runs.html?project=ui"));
    browser.await(10, d -> texts("tr.group-row .group-name").size() == 1 ? true : null);
    assertEquals(List.of("pipe-1"), texts("tr.group-row .group-name"));
    assertEquals(
        List.of("sft", "dpo↻1"), texts("tr.group-row .stage-chip"), "the resumed stage says so");
  }

  /** The dynamic columns of the runs table, in order ("summary.train/loss", "config.beta"). */
  private List<String> dynamicColumns() {
    return strings(
        "return [...document.querySelectorAll('#runs thead th')].map(t => t.dataset.col)"
            + ".filter(c => c && c.includes('.'))");
  }

  @Test
  void theRunsTableShowsLossesAndTheHyperparametersThatDifferByDefault() {
    Seed seed = server.seed();
    long sft =
        seed.run("ui-cols", "a", "p", "sft", Map.of("learning_rate", 1e-4, "seed", 1), List.of());
    long dpo =
        seed.run(
            "ui-cols",
            "b",
            "p",
            "dpo",
            Map.of("learning_rate", 2e-4, "seed", 1, "beta", 0.1),
            List.of());
    String longStage = "evaluation-after-preference-tuning-with-a-long-name";
    long eval =
        seed.run("ui-cols", "e", "p", longStage, Map.of("eval_only", true, "seed", 2), List.of());
    seed.curve(sft, "train/loss", 10, s -> 2.0 - s / 10.0, T0, 1000);
    seed.curve(sft, "eval/loss", 2, s -> 1.5, T0, 1000);
    seed.curve(dpo, "train/loss", 10, s -> 0.69 - s / 100.0, T0.plusSeconds(20), 1000);
    seed.curve(dpo, "rewards/accuracies", 10, s -> 0.5 + s / 20.0, T0.plusSeconds(20), 1000);
    seed.curve(eval, "eval/loss", 1, s -> 1.2, T0.plusSeconds(40), 1000);
    seed.times(sft, T0, T0.plusSeconds(10), T0.plusSeconds(10));
    seed.times(dpo, T0.plusSeconds(20), T0.plusSeconds(30), T0.plusSeconds(30));
    seed.times(eval, T0.plusSeconds(40), T0.plusSeconds(45), T0.plusSeconds(45));

    browser.open(server.url("runs.html?project=ui-cols&group=0"));
    browser.await(10, d -> runRowNames().size() == 3 ? true : null);
    // the losses every stage logs, then what differs among the training runs (not the eval run's
    // keys, nor "seed", which is the same in both training runs)
    assertEquals(
        List.of(
            "summary.train/loss",
            "summary.eval/loss",
            "summary.rewards/accuracies",
            "config.learning_rate",
            "config.beta"),
        dynamicColumns());
    assertEquals(
        List.of("", "0.6", "1.1"),
        texts("#runs td[data-col='summary.train/loss']"),
        "newest first: the eval run logged no train/loss, the DPO and SFT runs did");

    // the timeline: a long stage name is cut at its column, never drawn over the bars
    browser.open(server.url("run.html?id=" + eval));
    browser.await(
        10, d -> d.findElements(By.cssSelector("#timeline .tl-row")).size() == 3 ? true : null);
    assertEquals(
        List.of(),
        browser.js(
            "return [...document.querySelectorAll('#timeline .tl-row')].filter(r =>"
                + " r.querySelector('.tl-label').getBoundingClientRect().right >"
                + " r.querySelector('.tl-track').getBoundingClientRect().left)"
                + ".map(r => r.querySelector('.tl-label').textContent)"));
    assertEquals(
        longStage,
        browser.js(
            "return document.querySelector('#timeline .tl-row[data-run-id=\"' + arguments[0]"
                + " + '\"] .tl-label').title",
            eval));
  }

  /**
   * 100 runs × 5,000 config keys: the table's work is linear in the keys (once, per load), so it
   * draws in well under a second here; computed per cell, 2 runs × 5,000 keys took 23 s.
   */
  @Test
  void aProjectOfManyRunsWithThousandsOfConfigKeysDrawsItsTableAtOnce() {
    for (int r = 0; r < 100; r++) {
      Map<String, Object> config = new HashMap<>();
      for (int k = 0; k < 5000; k++) config.put("layer" + k + ".rank", k % 7);
      config.put("learning_rate", 1e-4 * (1 + r % 3));
      server.seed().run("ui-wide", "wide-" + r, null, "sft", config, List.of());
    }
    browser.open(server.url("runs.html?project=ui-wide&group=0"));
    browser.await(10, d -> runRowNames().size() == 100 ? true : null);
    assertEquals(List.of("config.learning_rate"), dynamicColumns());
    double drawn =
        Double.parseDouble(browser.js("return document.body.dataset.runsRendered").toString());
    double render =
        Double.parseDouble(browser.js("return document.body.dataset.runsRenderMs").toString());
    System.out.printf(
        "runs table, 100 runs x 5,001 config keys: drawn %.0f ms after navigation, render %.0f ms%n",
        drawn, render);
    // the issue's budget for the table itself (measured 350-530 ms on the shared 2-core VM)
    assertTrue(render < 1000, "rendering 100 runs x 5,001 keys took " + render + " ms");
    // the picker lists every key once it is opened
    browser.driver().findElement(By.cssSelector("#columns summary")).click();
    browser.await(
        10,
        d ->
            ((Number) browser.js("return document.querySelectorAll('#columns input').length"))
                        .intValue()
                    == 5001
                ? true
                : null);
  }

  @Test
  void runPageDrawsOneChartPerKeyGroupedByPrefix() {
    browser.open(server.url("run.html?id=" + alpha));
    assertEquals(2, browser.awaitCharts(15));
    assertEquals(
        List.of("train", "eval"),
        browser.js(
            "return [...document.querySelectorAll('.chart-group')].map(g => g.dataset.prefix)"));
    List<List<Number>> loss = seriesData("train/loss", 0);
    assertEquals(100, loss.size());
    assertEquals(0, loss.get(0).get(0).intValue());
    assertEquals(2.0, loss.get(0).get(1).doubleValue(), 1e-12);
    assertEquals(99, loss.get(99).get(0).intValue());
    assertEquals(1.01, loss.get(99).get(1).doubleValue(), 1e-12);
    assertEquals(10, seriesData("eval/loss", 0).size());
    assertEquals(
        List.of("/api/v1/runs/" + alpha + "/metrics/series"),
        seriesRequests(),
        "both charts' series came in one multi-key request");

    // smoothing from the URL: the raw line and an EMA that lags above this falling curve
    browser.open(server.url("run.html?id=" + alpha + "&smooth=0.9"));
    browser.awaitCharts(15);
    assertEquals(2L, chart("train/loss", "o.series.length"));
    List<List<Number>> raw = seriesData("train/loss", 0);
    List<List<Number>> smooth = seriesData("train/loss", 1);
    assertEquals(1.01, raw.get(99).get(1).doubleValue(), 1e-12);
    assertEquals(2.0, smooth.get(0).get(1).doubleValue(), 1e-9, "debiased EMA starts at the value");
    assertTrue(smooth.get(99).get(1).doubleValue() > 1.05, "EMA lags: " + smooth.get(99));

    // wall-time axis and log scale: x is each point's logged time
    browser.open(server.url("run.html?id=" + alpha + "&x=wall&log=1"));
    browser.awaitCharts(15);
    assertEquals("time", chart("train/loss", "o.xAxis[0].type"));
    assertEquals("log", chart("train/loss", "o.yAxis[0].type"));
    List<List<Number>> wall = seriesData("train/loss", 0);
    assertEquals(T0.toEpochMilli(), wall.get(0).get(0).longValue());
    assertEquals(T0.toEpochMilli() + 99_000, wall.get(99).get(0).longValue());

    // config, summary and the pipeline's timeline (two stages)
    browser.await(
        10, d -> d.findElements(By.cssSelector("#timeline .tl-row")).size() == 2 ? true : null);
    assertEquals(
        List.of(String.valueOf(beta)),
        browser.js(
            "return [...document.querySelectorAll('#timeline .tl-resume')]"
                + ".map(m => m.closest('.tl-row').dataset.runId)"),
        "beta's one resume is marked on its bar");
    assertTrue(
        browser.driver().findElement(By.id("config-table")).getText().contains("learning_rate"));
    assertTrue(
        browser.driver().findElement(By.id("summary-table")).getText().contains("best/eval_loss"));
  }

  /**
   * Every page, script, module and stylesheet the UI names (src, href, import … from) is served by
   * the jar: a file the shade plugin leaves out fails here, before any browser is involved.
   */
  @Test
  void everyFileThePagesNameIsInTheJar() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    Pattern ref = Pattern.compile("(?:src|href)=\"([^\"]+)\"|from '([^']+)'|import\\('([^']+)'\\)");
    Deque<URI> todo = new ArrayDeque<>();
    Set<URI> seen = new LinkedHashSet<>();
    for (String page : List.of("index.html", "runs.html", "run.html", "compare.html")) {
      todo.add(URI.create(server.url(page)));
    }
    while (!todo.isEmpty()) {
      URI uri = todo.poll();
      if (!seen.add(uri)) continue;
      HttpResponse<String> r =
          http.send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), uri + " is named by a page but not served by the jar");
      assertTrue(r.body().length() > 0, uri + " is empty");
      if (!uri.getPath().matches(".*\\.(html|js|css)$") || uri.getPath().contains("/webjars/"))
        continue;
      Matcher m = ref.matcher(r.body());
      while (m.find()) {
        String target =
            m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
        if (target.startsWith("data:") || target.startsWith("#") || target.contains("${")) continue;
        URI next = uri.resolve(target);
        if (next.getPort() == uri.getPort() && !next.getPath().endsWith("/")) {
          todo.add(URI.create(next.getScheme() + "://" + next.getAuthority() + next.getPath()));
        }
      }
    }
    assertTrue(
        seen.stream().anyMatch(u -> u.getPath().endsWith("echarts.common.min.js")),
        "the chart script is among them: " + seen);
    assertTrue(seen.size() >= 14, "pages, modules, stylesheet and ECharts: " + seen);
  }

  @Test
  void aPageWhoseChartScriptCannotLoadSaysSoAndShowsTheRest() {
    browser.block("*echarts*");
    try {
      browser.open(server.url("run.html?id=" + alpha));
      String failed =
          browser
              .await(15, d -> browser.js("return document.body.dataset.chartsFailed || null"))
              .toString();
      assertTrue(failed.contains("ECharts did not load from"), failed);
      assertTrue(
          browser
              .driver()
              .findElement(By.cssSelector("#charts .error"))
              .getText()
              .contains("echarts"),
          "the reason is shown where the charts would be");
      browser.await(
          10, d -> d.findElements(By.cssSelector("#timeline .tl-row")).size() == 2 ? true : null);
      assertTrue(
          browser.driver().findElement(By.id("config-table")).getText().contains("learning_rate"));
      browser.await(
          10, d -> d.findElements(By.cssSelector("#samples .gen")).size() > 0 ? true : null);

      browser.open(server.url("compare.html?runs=" + alpha + "," + beta));
      browser.await(10, d -> browser.js("return document.body.dataset.chartsFailed || null"));
      assertTrue(
          browser.driver().findElement(By.id("config-diff")).getText().contains("learning_rate"));
      assertTrue(
          browser.problems().stream().anyMatch(p -> p.contains("echarts")),
          browser.problems().toString());
      browser.js("window.__problems = []");
    } finally {
      browser.block();
    }
  }

  @Test
  void compareOverlaysRunsAndItsConfigDiffListsExactlyTheDifferingKeys() {
    browser.open(server.url("compare.html?runs=" + alpha + "," + beta));
    assertEquals(2, browser.awaitCharts(15));
    // a regression alarm, not the budget (PageBudgetBench measures 10 runs x 5 x 100,000 points
    // against 1.5 s): two small runs drawn well within it even on a busy machine
    double drawnAt = ((Number) browser.js("return window.__chartsDrawnAt")).doubleValue();
    assertTrue(drawnAt < 3000, "compare view drawn " + drawnAt + " ms after navigation");
    assertEquals(List.of("alpha", "beta"), chart("train/loss", "o.series.map(s => s.name)"));
    assertEquals(100, seriesData("train/loss", 0).size());
    assertEquals(100, seriesData("train/loss", 1).size());
    assertEquals(1.02, seriesData("train/loss", 1).get(99).get(1).doubleValue(), 1e-12);
    assertEquals(10, seriesData("eval/loss", 0).size());
    assertEquals(0, seriesData("eval/loss", 1).size(), "beta logged no eval/loss");
    assertEquals(
        List.of("/api/v1/metrics/series"),
        seriesRequests(),
        "every chart's series of both runs came in one multi-key request");
    // one colour per run, the same on every chart
    Object lossColours = chart("train/loss", "o.series.map(s => s.color)");
    assertEquals(lossColours, chart("eval/loss", "o.series.map(s => s.color)"));
    assertNotEquals(
        chart("train/loss", "o.series[0].color"), chart("train/loss", "o.series[1].color"));
    assertEquals(
        List.of("beta", "learning_rate"),
        browser.js(
            "return [...document.querySelectorAll('#config-diff tbody tr')].map(r => r.dataset.key)"));

    // the run chips are the legend of every chart: a colour hides that run everywhere
    browser
        .driver()
        .findElement(By.cssSelector("#run-legend [data-run-id='" + beta + "'] .toggle"))
        .click();
    assertEquals(false, chart("train/loss", "o.legend[0].selected['beta']"));
    assertEquals(false, chart("eval/loss", "o.legend[0].selected['beta']"));
    assertEquals(true, chart("train/loss", "o.legend[0].selected['alpha'] !== false"));

    // the metric search box, from the URL too
    browser.open(server.url("compare.html?runs=" + alpha + "," + beta + "&q=eval"));
    browser.awaitCharts(15);
    assertEquals(
        List.of("eval/loss"),
        browser.js(
            "return [...document.querySelectorAll('.chart-card')].filter(c => !c.hidden)"
                + ".map(c => c.querySelector('.chart').dataset.key)"));
    browser.open(server.url("compare.html?runs=" + alpha + "," + beta));
    browser.awaitCharts(15);

    // the settings go into the URL: shareable
    browser.js(
        "const s = document.getElementById('x-axis'); s.value = 'relative';"
            + " s.dispatchEvent(new Event('change'));");
    browser.await(10, d -> d.getCurrentUrl().contains("x=relative") ? true : null);
    browser.open(browser.driver().getCurrentUrl());
    browser.awaitCharts(15);
    assertEquals("relative", browser.js("return document.getElementById('x-axis').value"));
    List<List<Number>> rel = seriesData("train/loss", 0);
    assertEquals(99.0, rel.get(99).get(0).doubleValue() - rel.get(0).get(0).doubleValue(), 1e-9);
  }

  @Test
  void untrustedTextInNamesTagsConfigAndGenerationsStaysText() {
    browser.open(server.url("run.html?id=" + gamma));
    browser.awaitCharts(15);
    WebElement cell =
        browser.await(
            10,
            d ->
                d.findElements(By.cssSelector("#samples .gen")).stream()
                    .filter(e -> e.getText().startsWith("<script>"))
                    .findFirst()
                    .orElse(null));
    assertEquals(XSS_GEN, cell.getText());
    assertEquals(XSS_NAME, browser.driver().findElement(By.id("run-name")).getText());
    assertTrue(browser.driver().findElement(By.cssSelector(".tags")).getText().contains(XSS_TAG));
    assertTrue(
        browser.driver().findElement(By.id("config-table")).getText().contains("<b>qwen</b>"));
    // the chart's HTML tooltip names the run: escaped there too
    showTooltip("train/loss");
    assertNoInjectedMarkup();

    browser.open(server.url("compare.html?runs=" + alpha + "," + gamma));
    browser.awaitCharts(15);
    browser.await(
        10,
        d -> d.findElements(By.cssSelector("#samples .side-by-side")).size() == 1 ? true : null);
    String sideBySide =
        browser.driver().findElement(By.cssSelector("#samples .side-by-side")).getText();
    assertTrue(sideBySide.contains(XSS_GEN), sideBySide);
    assertTrue(sideBySide.contains("hi"));
    showTooltip("train/loss");
    assertNoInjectedMarkup();

    browser.open(server.url("runs.html?project=ui"));
    browser.await(10, d -> runRowNames().size() == 3 ? true : null);
    assertNoInjectedMarkup();
  }

  private void showTooltip(String key) {
    browser.js(
        "echarts.getInstanceByDom(document.querySelector('.chart[data-key=\"' + arguments[0] + '\"]'))"
            + ".dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 50});",
        key);
    browser.await(5, d -> browser.js("return document.querySelector('.tt') ? true : null"));
  }

  private void assertNoInjectedMarkup() {
    assertNull(browser.js("return window.__xss === undefined ? null : String(window.__xss)"));
    assertEquals(0L, browser.js("return document.querySelectorAll('img, main script').length"));
  }

  @Test
  void zoomingOnTheStepAxisFetchesTheVisibleStepsAtFullResolution() {
    long big = server.seed().run("ui-zoom", "big", null, "pt", Map.of(), List.of());
    server.seed().curve(big, "train/loss", 5000, s -> s, T0, 1000);
    browser.open(server.url("run.html?id=" + big));
    browser.awaitCharts(15);
    int downsampled = seriesData("train/loss", 0).size();
    assertTrue(downsampled < 2000, "downsampled: " + downsampled);
    zoom("{startValue: 1000, endValue: 1100}");
    browser.await(10, d -> seriesData("train/loss", 0).size() == 101 ? true : null);
    List<List<Number>> zoomed = seriesData("train/loss", 0);
    assertEquals(1000, zoomed.get(0).get(0).intValue());
    assertEquals(1100.0, zoomed.get(100).get(1).doubleValue());
    zoom("{start: 0, end: 100}");
    browser.await(10, d -> seriesData("train/loss", 0).size() == downsampled ? true : null);
  }

  private void zoom(String window) {
    browser.js(
        "echarts.getInstanceByDom(document.querySelector('.chart[data-key=\"train/loss\"]'))"
            + ".dispatchAction(Object.assign({type: 'dataZoom', dataZoomIndex: 0}, "
            + window
            + "))");
  }

  @Test
  void aTrackerWhoseReadsNeedATokenAsksForOneAndKeepsIt() {
    try (UiServer locked = UiServer.start(true)) {
      locked.seed().run("secret", "hidden", null, null, Map.of(), List.of());
      String token = locked.tracker().tokens().create("browser").token();
      // a runs table behind a token asks for one, and claims no "0 runs" beside the prompt
      browser.open(locked.url("runs.html?project=secret"));
      browser.await(15, d -> d.findElement(By.id("token")));
      assertEquals(0, browser.driver().findElements(By.id("run-count")).size());
      browser.open(locked.url(""));
      WebElement input = browser.await(15, d -> d.findElement(By.id("token")));
      assertEquals(List.of(), texts("table.projects"), "nothing shown without a token");
      input.sendKeys(token);
      input.submit();
      browser.await(15, d -> texts("table.projects td a").equals(List.of("secret")) ? true : null);
      browser.js("localStorage.removeItem('liandan.token')");
    }
  }

  @Test
  void aRunningRunsPageUpdatesWithoutReload() {
    long live =
        server.seed().run("ui-live", "live", null, "pt", Map.of("learning_rate", 1e-3), List.of());
    Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    server.seed().curve(live, "train/loss", 50, s -> 1.0 / (s + 1), start, 100);
    browser.open(server.url("run.html?id=" + live));
    browser.awaitCharts(15);
    assertEquals(50, seriesData("train/loss", 0).size());
    browser.js("window.__sameDocument = true;");
    server.seed().curve(live, "train/loss", 120, s -> 1.0 / (s + 1), start, 100);
    server.seed().curve(live, "train/lr", 10, s -> 1e-3, start, 100);
    browser.await(15, d -> seriesData("train/loss", 0).size() == 120 ? true : null);
    browser.await(
        15,
        d ->
            d.findElements(By.cssSelector(".chart[data-key='train/lr']")).size() == 1
                ? true
                : null);
    assertEquals(true, browser.js("return window.__sameDocument === true"));
  }
}
