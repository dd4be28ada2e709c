package io.liandan.llm.model;

import ai.djl.ndarray.NDArray;
import io.liandan.llm.model.Qwen2Config.RopeScaling;

/**
 * RoPE frequency scaling as transformers' {@code modeling_rope_utils} computes it for the types
 * Liandan loads. Attention scaling stays 1 for both: neither type changes it.
 */
final class RopeScalings {
  private RopeScalings() {}

  /** The scaled inverse frequencies (hd/2); {@code invFreq} itself when there is no scaling. */
  static NDArray apply(RopeScaling s, NDArray invFreq) {
    if (s == null) return invFreq;
    float[] f = invFreq.toFloatArray();
    float[] out = new float[f.length];
    switch (s.ropeType()) {
      case "linear" -> { // positions / factor, folded into the frequencies
        for (int i = 0; i < f.length; i++) out[i] = (float) (f[i] / s.factor());
      }
      case "llama3" -> {
        // Llama 3.1: long wavelengths stretched by factor, short ones kept, a smooth blend between
        double old = s.originalMaxPositionEmbeddings();
        double low = s.lowFreqFactor(), high = s.highFreqFactor();
        double lowWavelen = old / low, highWavelen = old / high;
        for (int i = 0; i < f.length; i++) {
          double wavelen = 2 * Math.PI / f[i];
          double scaled = wavelen > lowWavelen ? f[i] / s.factor() : f[i];
          if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
            double smooth = (old / wavelen - low) / (high - low);
            scaled = (1 - smooth) * scaled / s.factor() + smooth * scaled;
          }
          out[i] = (float) scaled;
        }
      }
      default -> throw new IllegalArgumentException("rope_type " + s.ropeType());
    }
    NDArray scaled = invFreq.getManager().create(out);
    invFreq.close();
    return scaled;
  }
}
