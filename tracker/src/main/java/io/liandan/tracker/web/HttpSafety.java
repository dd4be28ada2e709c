package io.liandan.tracker.web;

import io.javalin.http.Context;
import io.javalin.http.ForbiddenResponse;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What every response carries and every request is checked for, before any route: the security
 * headers (a Content-Security-Policy without inline script, no MIME sniffing, no framing) and, on a
 * server bound to loopback, the Host header against an allow-list. Reads need no token by default,
 * so without that check a page from any site could rebind its DNS name to 127.0.0.1 and read every
 * run through the visitor's browser; its requests carry its own name as Host.
 */
public final class HttpSafety {
  /**
   * The UI loads only its own scripts (no inline script or on* handlers); ECharts' tooltips set
   * inline style attributes, so styles may be inline. Nothing may frame the pages.
   */
  public static final String CSP =
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
          + "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
          + "form-action 'self'; frame-ancestors 'none'";

  /** Names a loopback server answers to by default, with any port. */
  public static final List<String> LOOPBACK_HOSTS = List.of("localhost", "127.0.0.1", "[::1]");

  private final Set<String> allowed;

  private HttpSafety(Set<String> allowed) {
    this.allowed = allowed;
  }

  /**
   * The check for a server bound to {@code bindHost}: {@code configured} hosts when given ("*"
   * turns the check off), else {@link #LOOPBACK_HOSTS} when bound to loopback, else none (a server
   * on a network is reached by names only its operator knows: configure them).
   */
  public static HttpSafety forServer(String bindHost, List<String> configured) {
    if (configured != null && !configured.isEmpty()) {
      if (configured.contains("*")) {
        return new HttpSafety(null);
      }
      return new HttpSafety(
          configured.stream()
              .map(h -> h.toLowerCase(Locale.ROOT))
              .collect(Collectors.toUnmodifiableSet()));
    }
    return new HttpSafety(isLoopback(bindHost) ? Set.copyOf(LOOPBACK_HOSTS) : null);
  }

  /** The hosts allowed, or null when any is. */
  public Set<String> allowedHosts() {
    return allowed;
  }

  /** A before-handler for every path. */
  public void check(Context ctx) {
    ctx.header("Content-Security-Policy", CSP);
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("Referrer-Policy", "same-origin");
    if (allowed == null) {
      return;
    }
    String host = ctx.header("Host");
    if (host != null && !allowed.contains(hostName(host))) {
      throw new ForbiddenResponse(
          "Host '"
              + host
              + "' is not allowed (a DNS-rebinding guard); this server answers to "
              + allowed.stream().sorted().collect(Collectors.joining(", "))
              + ": set LIANDAN_ALLOWED_HOSTS to add names",
          Map.of());
    }
  }

  /** "Example.org:7878" → "example.org", "[::1]:7878" → "[::1]". */
  static String hostName(String hostHeader) {
    String h = hostHeader.strip().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? h : h.substring(0, end + 1);
    }
    int colon = h.lastIndexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }

  static boolean isLoopback(String bindHost) {
    if (bindHost == null) {
      return false;
    }
    String h = bindHost.startsWith("[") ? bindHost.substring(1, bindHost.length() - 1) : bindHost;
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    try {
      // literal addresses only: no lookup happens for a numeric host
      return (h.contains(":") || h.chars().allMatch(c -> c == '.' || Character.isDigit(c)))
          && InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
