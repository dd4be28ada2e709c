// The element types a safetensors header may name, with their sizes in bytes.
package io.liandan.llm.safetensors;

/** A safetensors element type; {@link #name()} is the exact string used in the header. */
public enum Dtype {
  F64(8),
  F32(4),
  F16(2),
  BF16(2),
  I64(8),
  I32(4),
  I16(2),
  I8(1),
  U8(1),
  BOOL(1);

  private final int bytes;

  Dtype(int bytes) {
    this.bytes = bytes;
  }

  /** Size of one element in bytes. */
  public int bytes() {
    return bytes;
  }

  /**
   * The dtype spelled {@code s} in a header, case-sensitively as the format requires.
   *
   * @throws IllegalArgumentException for anything else (F8_E4M3, quantized types, typos); callers
   *     that know the file and tensor turn this into a {@link CheckpointException}
   */
  public static Dtype parse(String s) {
    for (Dtype d : values()) {
      if (d.name().equals(s)) return d;
    }
    throw new IllegalArgumentException("unknown safetensors dtype '" + s + "'");
  }
}
