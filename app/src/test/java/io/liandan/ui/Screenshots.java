package io.liandan.ui;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;

/**
 * Writes the README's screenshots (runs table, run page and its lower half, compare view; 1280×800
 * PNGs) from {@link DemoData} in a throwaway tracker, through headless Chromium. Run by {@code
 * ui/run-main.sh io.liandan.ui.Screenshots docs/screenshots}.
 */
public final class Screenshots {
  private Screenshots() {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "docs/screenshots").toAbsolutePath();
    Files.createDirectories(out);
    try (UiServer server = UiServer.start();
        Browser browser = Browser.start(1280, 800)) {
      List<DemoData.Pipeline> pipelines = new DemoData(server.seed()).seed();
      String sftRuns =
          pipelines.stream()
              .map(p -> String.valueOf(p.stages().get("sft")))
              .collect(Collectors.joining(","));

      browser.open(
          server.url(
              "runs.html?project="
                  + DemoData.PROJECT
                  + "&cols=config.learning_rate,config.lora_r,summary.eval/loss,"
                  + "summary.rewards/accuracies,summary.eval/win_rate"));
      browser.await(20, d -> d.findElements(By.cssSelector("#runs tbody tr")).size() > 0);
      for (DemoData.Pipeline p : pipelines.subList(1, 4)) { // runs ticked for comparison
        browser.js(
            "document.querySelector('tr[data-run-id=\"' + arguments[0] + '\"] .select-run').click()",
            p.stages().get("sft"));
      }
      shoot(browser, out.resolve("runs.png"));

      long run = pipelines.get(2).stages().get("sft");
      browser.open(server.url("run.html?id=" + run + "&smooth=0.6"));
      browser.awaitCharts(30);
      shoot(browser, out.resolve("run.png"));
      browser.await(20, d -> d.findElements(By.cssSelector("#samples .side-by-side")).size() > 0);
      browser.js(
          "scrollTo(0, document.getElementById('pipeline').getBoundingClientRect().top"
              + " + scrollY - 56)");
      shoot(browser, out.resolve("run-details.png"));

      browser.open(server.url("compare.html?runs=" + sftRuns + "&smooth=0.6"));
      browser.awaitCharts(30);
      shoot(browser, out.resolve("compare.png"));
    }
    System.out.println("screenshots in " + out);
  }

  private static void shoot(Browser browser, Path file) throws Exception {
    Thread.sleep(300); // fonts and the last frame
    Files.write(file, browser.driver().getScreenshotAs(OutputType.BYTES));
    System.out.println("wrote " + file);
  }
}
