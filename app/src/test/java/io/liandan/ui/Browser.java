package io.liandan.ui;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium driven by its chromedriver (both from apt; .ci/run installs them).
 * Selenium Manager is never asked for anything: both paths are given, so nothing is downloaded. A
 * missing binary fails loudly: browser tests never skip.
 */
public record Browser(ChromeDriver driver, Path profile) implements AutoCloseable {
  public static final String CHROMIUM = System.getProperty("liandan.chromium", "/usr/bin/chromium");
  public static final String CHROMEDRIVER =
      System.getProperty("liandan.chromedriver", "/usr/bin/chromedriver");

  /**
   * Runs first in every page: collects what a user would only see in the console (a script or
   * stylesheet that failed to load, an uncaught error or rejection, a Content-Security-Policy
   * violation) into {@code window.__problems}, which {@link #problems()} reads.
   */
  private static final String PROBE =
      "window.__problems = [];"
          + "addEventListener('error', (e) => window.__problems.push(e.target && e.target !== window"
          + "  ? 'failed to load ' + (e.target.src || e.target.href) : 'error: ' + e.message), true);"
          + "addEventListener('unhandledrejection', (e) => window.__problems.push('unhandled: ' + e.reason));"
          + "document.addEventListener('securitypolicyviolation', (e) =>"
          + "  window.__problems.push('csp: ' + e.violatedDirective + ' ' + e.blockedURI));";

  /** A new headless browser with a fresh profile and a {@code width}×{@code height} window. */
  public static Browser start(int width, int height) {
    for (String bin : new String[] {CHROMIUM, CHROMEDRIVER}) {
      if (!new File(bin).canExecute()) {
        throw new IllegalStateException(
            bin + " is missing: install Debian's chromium and chromium-driver (.ci/run does)");
      }
    }
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
    try {
      Path profile = Files.createTempDirectory("liandan-chromium-");
      ChromeOptions options = new ChromeOptions();
      options.setBinary(CHROMIUM);
      options.addArguments(
          "--headless=new",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-dev-shm-usage",
          "--hide-scrollbars",
          "--force-device-scale-factor=1",
          "--window-size=" + width + "," + height,
          "--user-data-dir=" + profile);
      ChromeDriverService service =
          new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER)).build();
      ChromeDriver driver = new ChromeDriver(service, options);
      driver.manage().window().setSize(new Dimension(width, height));
      driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", PROBE));
      return new Browser(driver, profile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void open(String url) {
    driver.get(url);
  }

  public Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  /** Waits up to {@code seconds} for {@code condition} to return non-null and non-false. */
  public <T> T await(int seconds, Function<WebDriver, T> condition) {
    return new WebDriverWait(driver, Duration.ofSeconds(seconds)).until(condition);
  }

  /** What went wrong in the page so far (see {@link #PROBE}). */
  @SuppressWarnings("unchecked")
  public List<String> problems() {
    return (List<String>) js("return window.__problems || []");
  }

  /**
   * Requests whose URL matches one of {@code patterns} ("*echarts*") fail, until called with none.
   */
  public void block(String... patterns) {
    driver.executeCdpCommand("Network.enable", Map.of());
    driver.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of(patterns)));
  }

  /** Waits until every chart of the page has drawn (the page's own signal) and returns how many. */
  public int awaitCharts(int seconds) {
    Object n =
        await(seconds, d -> js("return document.body.dataset.chartsDrawn || null")); // set last
    return Integer.parseInt(n.toString());
  }

  @Override
  public void close() {
    driver.quit();
    UiServer.deleteTree(profile);
  }
}
