// One entry of a safetensors header: where a tensor's bytes are and how to read them.
package io.liandan.llm.safetensors;

import java.util.Arrays;

/**
 * A tensor as described by its file's header.
 *
 * @param begin offset of the first byte, relative to the start of the data section
 * @param end offset one past the last byte, relative to the start of the data section
 */
public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {

  public TensorInfo {
    shape = shape.clone();
  }

  /** The shape; a copy, so callers cannot change this record. */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements (1 for a scalar, whose shape is empty). */
  public long numel() {
    return numel(shape);
  }

  /** Size of the data in bytes. */
  public long bytes() {
    return end - begin;
  }

  /** Product of {@code shape}; throws ArithmeticException if it overflows a long. */
  static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) n = Math.multiplyExact(n, d);
    return n;
  }

  // Records compare arrays by identity; two infos for the same tensor should be equal.
  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t
        && name.equals(t.name)
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && begin == t.begin
        && end == t.end;
  }

  @Override
  public int hashCode() {
    return (name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
  }
}
