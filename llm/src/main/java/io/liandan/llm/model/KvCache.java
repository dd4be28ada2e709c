package io.liandan.llm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Keys and values of every layer for the positions seen so far, so that decoding feeds one token
 * per step. Given a capacity (the prompt plus the tokens to generate), each layer's keys and values
 * live in one buffer of that length, allocated at the first append and written in place: a step
 * copies only its own positions, and attention reads a view of the filled part. Without one, each
 * append concatenates (a copy of everything cached, per layer and step). The arrays live outside
 * any {@link NDScope}.
 */
public final class KvCache implements AutoCloseable {
  private final NDArray[] keys; // per layer (B, nKv, capacity or Tk, hd)
  private final NDArray[] values; // per layer (B, nKv, capacity or Tk, hd)
  private final long capacity; // positions the buffers hold; 0 = grow by concatenation
  private long length;

  /** A cache that grows by concatenation: for callers that do not know the final length. */
  public KvCache(int layers) {
    this(layers, 0);
  }

  /** A cache for at most {@code capacity} positions, preallocated per layer at its first use. */
  public KvCache(int layers, long capacity) {
    if (capacity < 0) throw new IllegalArgumentException("capacity " + capacity + " < 0");
    keys = new NDArray[layers];
    values = new NDArray[layers];
    this.capacity = capacity;
  }

  /** Positions already cached (Tk before this step). */
  public long length() {
    return length;
  }

  /**
   * Every layer's preallocated (B, nKv, capacity, hd) keys and values, [k0, v0, k1, v1, …], for a
   * step that writes position {@link #length()} itself; null unless every layer has its buffers (a
   * capacity was given and a first forward allocated them) and one more position fits.
   */
  List<NDArray> buffers() {
    if (capacity == 0 || length >= capacity) return null;
    List<NDArray> out = new ArrayList<>(2 * keys.length);
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] == null) return null;
      out.add(keys[i]);
      out.add(values[i]);
    }
    return out;
  }

  /** Appends this step's (B, nKv, T, hd) keys/values of {@code layer}; returns the full ones. */
  NDArray[] append(int layer, NDArray k, NDArray v) {
    if (capacity == 0) return concat(layer, k, v);
    long T = k.getShape().get(2), end = length + T;
    if (end > capacity) {
      throw new IllegalStateException(
          "KV cache of " + capacity + " positions cannot take " + end + " (a longer generation)");
    }
    if (keys[layer] == null) {
      keys[layer] = buffer(k);
      values[layer] = buffer(v);
    }
    NDIndex step = new NDIndex().addAllDim(2).addSliceDim(length, end); // [:, :, length:end]
    keys[layer].set(step, k);
    values[layer].set(step, v);
    NDIndex filled = new NDIndex().addAllDim(2).addSliceDim(0, end); // [:, :, :end], a view
    return new NDArray[] {keys[layer].get(filled), values[layer].get(filled)};
  }

  /** (B, nKv, capacity, hd) like {@code like}, unfilled (torch::empty), outside any scope. */
  private NDArray buffer(NDArray like) {
    Shape s = like.getShape();
    NDArray b =
        like.getManager()
            .create(new Shape(s.get(0), s.get(1), capacity, s.get(3)), like.getDataType());
    NDScope.unregister(b);
    return b;
  }

  private NDArray[] concat(int layer, NDArray k, NDArray v) {
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
