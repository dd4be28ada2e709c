package io.liandan.llm.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.tensor.Scalars;
import io.liandan.llm.tensor.Tensors;

/**
 * A frozen weight in NF4 ({@link Nf4Quantizer}), on the device of its manager, that dequantizes
 * itself for one forward pass. Either {@code absmax} is set, or the double-quantized triple {@code
 * qAbsmax}/{@code scale2}/{@code offset}. Frozen: nothing here takes part in autograd. The packed
 * codes, absmax and the triple are what tests compare with bitsandbytes.
 *
 * @param shape the weight's, e.g. (out, in)
 * @param codes (blocks·32) uint8, two codes per byte, high nibble first
 * @param absmax (blocks) float32, or null when double quantized
 * @param qAbsmax (blocks) uint8: dynamic code of (absmax - offset) / scale2
 * @param scale2 (ceil(blocks / 256)) float32: max |absmax - offset| per 256
 * @param offset () float32, the mean absmax
 * @param codeBook (16) float32, NF4
 * @param dynamicCode (256) float32, or null when not double quantized
 */
public record Nf4Tensor(
    Shape shape,
    NDArray codes,
    NDArray absmax,
    NDArray qAbsmax,
    NDArray scale2,
    NDArray offset,
    NDArray codeBook,
    NDArray dynamicCode)
    implements AutoCloseable {

  /** The quantized parts, with the code books made on the manager of {@code codes}. */
  static Nf4Tensor of(
      Shape shape, NDArray codes, NDArray absmax, NDArray qAbsmax, NDArray scale2, NDArray offset) {
    NDManager m = codes.getManager();
    NDArray codeBook = m.create(Nf4Quantizer.CODE);
    NDArray dynamicCode = qAbsmax == null ? null : m.create(DynamicCode.CODE);
    return new Nf4Tensor(shape, codes, absmax, qAbsmax, scale2, offset, codeBook, dynamicCode);
  }

  public boolean doubleQuantized() {
    return absmax == null;
  }

  /**
   * The weight as {@code type} (float32 or float16), allocated in {@code m} (and the open NDScope):
   * codes → code book values → times their block's absmax.
   */
  public NDArray dequantize(NDManager m, DataType type) {
    try (NoGrad ng = new NoGrad()) {
      long blocks = codes.getShape().get(0) * 2 / Nf4Quantizer.BLOCK;
      NDArray packed = codes.toType(DataType.FLOAT32, false); // (blocks·32) values 0..255
      NDArray sixteen = Scalars.of(packed.getManager(), 16); // on the device: see AdamW.step
      NDArray hi = packed.div(sixteen).floor(); // first of each pair
      NDArray lo = packed.sub(hi.mul(sixteen));
      NDArray idx = hi.expandDims(1).concat(lo.expandDims(1), 1).reshape(-1); // (blocks·64)
      NDArray values = codeBook.take(m, idx.toType(DataType.INT64, false)); // (blocks·64)
      NDArray w = values.reshape(blocks, Nf4Quantizer.BLOCK).mul(scales().reshape(blocks, 1));
      w = w.reshape(-1);
      if (w.getShape().get(0) != shape.size()) w = w.get("0:" + shape.size()); // block padding
      return w.reshape(shape).toType(type, false); // (out, in)
    }
  }

  /** (blocks) float32 absmax, undoing the second quantization if there was one. */
  private NDArray scales() {
    if (absmax != null) return absmax;
    long blocks = qAbsmax.getShape().get(0), blocks2 = scale2.getShape().get(0);
    long padded = blocks2 * Nf4Quantizer.BLOCK2;
    NDManager m = qAbsmax.getManager();
    NDArray q = dynamicCode.take(m, qAbsmax.toType(DataType.INT64, false)); // (blocks) in [-1, 1]
    if (padded > blocks) q = q.concat(m.zeros(new Shape(padded - blocks)));
    NDArray a = q.reshape(blocks2, Nf4Quantizer.BLOCK2).mul(scale2.reshape(blocks2, 1));
    return a.reshape(-1).get("0:" + blocks).add(offset); // (blocks)
  }

  /** This weight on {@code target}'s device, owned by it (see {@code DecoderWeights.moveTo}). */
  public Nf4Tensor moveTo(NDManager target) {
    Nf4Tensor out =
        of(
            shape,
            Tensors.move(codes, target),
            Tensors.move(absmax, target),
            Tensors.move(qAbsmax, target),
            Tensors.move(scale2, target),
            Tensors.move(offset, target));
    codeBook.close();
    if (dynamicCode != null) dynamicCode.close();
    return out;
  }

  /** Bytes held on the device for this weight (the code book aside). */
  public long bytes() {
    long b = codes.size();
    if (absmax != null) return b + 4 * absmax.size();
    return b + qAbsmax.size() + 4 * scale2.size() + 4;
  }

  @Override
  public void close() {
    codes.close();
    codeBook.close();
    for (NDArray a : new NDArray[] {absmax, qAbsmax, scale2, offset, dynamicCode})
      if (a != null) a.close();
  }
}
