package io.liandan.llm.kernels;

/**
 * A scope in which the kernel script's graph optimizer may fuse (see {@link
 * TorchKernels#plainInterpreter}): for generation only, whose numbers carry into no training state.
 * {@code try (Fusion f = Fusion.on()) { … }} on the thread that generates; nests.
 */
public final class Fusion implements AutoCloseable {
  private static final ThreadLocal<Integer> DEPTH = ThreadLocal.withInitial(() -> 0);

  private Fusion() {
    DEPTH.set(DEPTH.get() + 1);
  }

  /** Fusing allowed on this thread until {@link #close}. */
  public static Fusion on() {
    return new Fusion();
  }

  static boolean active() {
    return DEPTH.get() > 0;
  }

  @Override
  public void close() {
    DEPTH.set(DEPTH.get() - 1);
  }
}
