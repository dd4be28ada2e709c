package io.liandan.ui;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The page budget: the compare view of 10 runs × 5 metrics × 100,000 points each, time from
 * navigation to every chart drawn (the page's own {@code window.__chartsDrawnAt}, ms since
 * navigation start) in headless Chromium. A measurement, not a test: {@code ui/run-main.sh
 * io.liandan.ui.PageBudgetBench [runs metrics points loads]}; results in BENCHMARKS.md.
 */
public final class PageBudgetBench {
  private static final String[] KEYS = {
    "train/loss", "train/lr", "train/grad_norm", "eval/loss", "system/gpu_mem_gb"
  };

  /**
   * Where a load's time went, from the page's resource timing (ms since navigation): the ECharts
   * script fetched, the document parsed (ECharts compiled and run by then, since its script blocks
   * the parser), the first API request sent, the last series response in.
   */
  private static final String SPLIT =
      "const r = performance.getEntriesByType('resource');"
          + " const nav = performance.getEntriesByType('navigation')[0];"
          + " const ec = r.find(e => e.name.includes('/webjars/echarts/'));"
          + " const api = r.filter(e => e.name.includes('/api/v1/'));"
          + " const series = api.filter(e => e.name.includes('/metrics'));"
          + " const f = x => x == null || !isFinite(x) ? '-' : Math.round(x);"
          + " return 'echarts ' + (ec ? ec.name.replace(/.*\\//, '') + ' in at ' + f(ec.responseEnd)"
          + " + ' (' + Math.round(ec.encodedBodySize / 1024) + ' KB)' : '-')"
          + " + ', DOMContentLoaded ' + f(nav.domContentLoadedEventStart)"
          + " + ', first API request at ' + f(Math.min(...api.map(e => e.startTime)))"
          + " + ', runs in at ' + f(Math.max(...api.filter(e => !e.name.includes('/metrics')"
          + " && !e.name.includes('/samples'))"
          + ".map(e => e.responseEnd)))"
          + " + ', ' + series.length + ' series requests from ' + f(Math.min(...series.map(e => e.startTime)))"
          + " + ' to ' + f(Math.max(...series.map(e => e.responseEnd)))";

  private static final String SERIES_URL =
      "return performance.getEntriesByType('resource').map(e => e.name)"
          + ".find(n => n.includes('/api/v1/metrics/series'))";

  private PageBudgetBench() {}

  /**
   * The server's share apart from the browser's: the page's requests timed from this JVM against
   * the warmed server, each way 15 times, alternately (median, min–max): the page's one multi-key
   * series read against the five single-key reads sent side by side (the code before the multi-key
   * read), and the compare view's runs as ten {@code GET /runs/{id}} side by side against one
   * {@code GET /runs?ids=} (where the server has it).
   */
  private static void serverReads(
      UiServer server, String ids, int runs, int metrics, String seriesUrl) throws Exception {
    Matcher m = Pattern.compile("maxPoints=(\\d+)").matcher(seriesUrl);
    String maxPoints = m.find() ? m.group(1) : "1000";
    List<String> keys = new ArrayList<>();
    for (int k = 0; k < metrics; k++) {
      keys.add(KEYS[k % KEYS.length] + (k < KEYS.length ? "" : "_" + k));
    }
    String api = server.url("api/v1");
    List<String> single =
        keys.stream()
            .map(k -> api + "/metrics?runs=" + ids + "&maxPoints=" + maxPoints + "&key=" + enc(k))
            .toList();
    StringBuilder multi = new StringBuilder(api + "/metrics/series?runs=" + ids);
    multi.append("&maxPoints=").append(maxPoints);
    keys.forEach(k -> multi.append("&key=").append(enc(k)));
    List<String> each = Arrays.stream(ids.split(",")).map(id -> api + "/runs/" + id).toList();
    List<String> byIds = List.of(api + "/runs?ids=" + ids);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    boolean hasIds =
        http.send(
                    HttpRequest.newBuilder(URI.create(byIds.get(0))).build(),
                    BodyHandlers.discarding())
                .statusCode()
            == 200;
    List<List<Double>> ms =
        List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    for (int i = 0; i < 15; i++) {
      ms.get(0).add(sideBySide(http, List.of(multi.toString())));
      ms.get(1).add(sideBySide(http, single));
      ms.get(2).add(sideBySide(http, each));
      if (hasIds) {
        ms.get(3).add(sideBySide(http, byIds));
      }
    }
    String[] what = {
      "series: 1 multi-key read (" + runs * metrics + " series)",
      "series: " + metrics + " single-key reads side by side",
      "runs: " + runs + " GET /runs/{id} side by side",
      "runs: 1 GET /runs?ids="
    };
    for (int w = 0; w < what.length; w++) {
      double[] d = ms.get(w).stream().mapToDouble(Double::doubleValue).sorted().toArray();
      System.out.printf(
          "server, warm: %s: %s%n",
          what[w],
          d.length == 0
              ? "not on this server"
              : String.format(
                  "median %.0f ms (%.0f–%.0f)", d[d.length / 2], d[0], d[d.length - 1]));
    }
  }

  /** ms until every one of urls, sent at once, has answered 200 with its whole body. */
  private static double sideBySide(HttpClient http, List<String> urls) {
    long t = System.nanoTime();
    List<CompletableFuture<HttpResponse<byte[]>>> sent =
        urls.stream()
            .map(
                u ->
                    http.sendAsync(
                        HttpRequest.newBuilder(URI.create(u)).build(), BodyHandlers.ofByteArray()))
            .toList();
    for (CompletableFuture<HttpResponse<byte[]>> f : sent) {
      if (f.join().statusCode() != 200) {
        throw new IllegalStateException(f.join().uri() + ": " + f.join().statusCode());
      }
    }
    return (System.nanoTime() - t) / 1e6;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int metrics = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int points = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
    int loads = args.length > 3 ? Integer.parseInt(args[3]) : 7;
    try (UiServer server = UiServer.start();
        Browser browser = Browser.start(1280, 900)) {
      long t = System.nanoTime();
      Instant t0 = Instant.now().minus(1, ChronoUnit.DAYS);
      StringJoiner ids = new StringJoiner(",");
      for (int r = 0; r < runs; r++) {
        double lr = 1e-5 * (r + 1);
        long id =
            server
                .seed()
                .run(
                    "bench",
                    "run-" + r,
                    null,
                    "sft",
                    Map.of("learning_rate", lr, "seed", r),
                    List.of());
        for (int m = 0; m < metrics; m++) {
          int k = m;
          int shift = r;
          server
              .seed()
              .curve(
                  id,
                  KEYS[m % KEYS.length] + (m < KEYS.length ? "" : "_" + m),
                  points,
                  s -> (k + 1) * Math.exp(-s / 20_000.0) + 0.01 * shift + 0.05 * Math.sin(s * 0.37),
                  t0,
                  100);
        }
        ids.add(String.valueOf(id));
      }
      double seedS = (System.nanoTime() - t) / 1e9;
      System.out.printf(
          "seeded %d runs x %d metrics x %,d points in %.0f s (%,.0f points/s)%n",
          runs, metrics, points, seedS, (double) runs * metrics * points / seedS);

      String url = server.url("compare.html?runs=" + ids);
      List<Double> drawn = new ArrayList<>();
      for (int i = 0; i < loads; i++) {
        browser.open("about:blank");
        browser.open(url);
        int charts = browser.awaitCharts(60);
        double ms = ((Number) browser.js("return window.__chartsDrawnAt")).doubleValue();
        String split = (String) browser.js(SPLIT);
        long shown =
            ((Number)
                    browser.js(
                        "return [...document.querySelectorAll('.chart')].map(e =>"
                            + " echarts.getInstanceByDom(e).getOption().series"
                            + ".reduce((n, s) => n + s.data.length, 0)).reduce((a, b) => a + b, 0)"))
                .longValue();
        double seriesAt =
            ((Number)
                    browser.js(
                        "return Math.max(...performance.getEntriesByType('resource')"
                            + ".filter(e => e.name.includes('/api/v1/metrics'))"
                            + ".map(e => e.responseEnd))"))
                .doubleValue();
        double kb =
            ((Number)
                        browser.js(
                            "return performance.getEntriesByType('resource')"
                                + ".filter(e => e.name.includes('/api/v1/metrics'))"
                                + ".reduce((n, e) => n + e.encodedBodySize, 0)"))
                    .doubleValue()
                / 1024;
        System.out.printf(
            "load %d%s: %d charts drawn %.0f ms after navigation (last series in at %.0f ms);"
                + " %,d points drawn of %,d stored; %.0f KB of series%n    %s%n",
            i + 1,
            i == 0 ? " (cold: new browser cache)" : "",
            charts,
            ms,
            seriesAt,
            shown,
            (long) runs * metrics * points,
            kb,
            split);
        if (i > 0) {
          drawn.add(ms);
        }
      }
      // the browser's share of a cold load apart from the server's: a new browser (empty cache,
      // no compiled-code cache) against the server the loads above have warmed
      try (Browser fresh = Browser.start(1280, 900)) {
        fresh.open(url);
        fresh.awaitCharts(60);
        System.out.printf(
            "new browser, warm server: 5 charts drawn %.0f ms after navigation%n    %s%n",
            ((Number) fresh.js("return window.__chartsDrawnAt")).doubleValue(), fresh.js(SPLIT));
      }
      serverReads(server, ids.toString(), runs, metrics, (String) browser.js(SERIES_URL));
      double[] d = drawn.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      System.out.printf(
          "warm loads: median %.0f ms, max %.0f ms (%s)%n",
          d[d.length / 2], d[d.length - 1], Arrays.toString(d));
    }
  }
}
