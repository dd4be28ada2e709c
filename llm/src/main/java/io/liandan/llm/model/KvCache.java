package io.liandan.llm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Keys and values of every layer for the positions seen so far, so that decoding feeds one token
 * per step. The arrays live outside any {@link NDScope}: each append closes the previous ones.
 */
public final class KvCache implements AutoCloseable {
  private final NDArray[] keys; // per layer (B, nKv, Tk, hd)
  private final NDArray[] values; // per layer (B, nKv, Tk, hd)
  private long length;

  public KvCache(int layers) {
    keys = new NDArray[layers];
    values = new NDArray[layers];
  }

  /** Positions already cached (Tk before this step). */
  public long length() {
    return length;
  }

  /** Appends this step's (B, nKv, T, hd) keys/values of {@code layer}; returns the full ones. */
  NDArray[] append(int layer, NDArray k, NDArray v) {
    NDArray fullK = keys[layer] == null ? k : keys[layer].concat(k, 2);
    NDArray fullV = values[layer] == null ? v : values[layer].concat(v, 2);
    NDScope.unregister(fullK, fullV);
    if (keys[layer] != null && keys[layer] != fullK) keys[layer].close();
    if (values[layer] != null && values[layer] != fullV) values[layer].close();
    keys[layer] = fullK;
    values[layer] = fullV;
    return new NDArray[] {fullK, fullV};
  }

  /** Called once per forward, after every layer appended {@code t} positions. */
  void advance(long t) {
    length += t;
  }

  @Override
  public void close() {
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] != null) keys[i].close();
      if (values[i] != null) values[i].close();
      keys[i] = values[i] = null;
    }
    length = 0;
  }
}
