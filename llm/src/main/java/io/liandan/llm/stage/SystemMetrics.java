package io.liandan.llm.stage;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The system/ metrics logged with each training line: process CPU (100 = one core busy, as psutil
 * counts), resident memory, and GPU memory in use on a CUDA device.
 */
final class SystemMetrics {
  private SystemMetrics() {}

  static Map<String, Double> sample(Device device) {
    Map<String, Double> m = new LinkedHashMap<>();
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      double load = os.getProcessCpuLoad();
      if (load >= 0) m.put("system/cpu_percent", load * 100 * os.getAvailableProcessors());
    }
    m.put("system/rss_mb", residentMb());
    if (device.isGpu()) {
      m.put("system/gpu_memory_mb", CudaUtils.getGpuMemory(device).getUsed() / (1024.0 * 1024.0));
    }
    return m;
  }

  /** VmRSS from /proc (Linux); the JVM heap in use elsewhere. */
  private static double residentMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D+", "")) / 1024.0;
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: fall through
    }
    Runtime rt = Runtime.getRuntime();
    return (rt.totalMemory() - rt.freeMemory()) / (1024.0 * 1024.0);
  }
}
