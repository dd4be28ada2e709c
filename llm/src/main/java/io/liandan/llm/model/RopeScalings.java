package io.liandan.llm.model;

import ai.djl.ndarray.NDArray;
import io.liandan.llm.model.DecoderConfig.RopeScaling;
import java.util.List;

/**
 * RoPE frequency scaling as transformers' {@code modeling_rope_utils} computes it for the types
 * Liandan loads, on the rotated part of a head (rd = rotary dim). {@code dynamic} and {@code
 * longrope} depend on how far a forward's positions reach (transformers' dynamic_rope_update):
 * {@link #grows} says when, and the model recomputes the frequencies for that forward.
 */
final class RopeScalings {
  private RopeScalings() {}

  /** Whether the frequencies can change with a forward's length (dynamic, longrope). */
  static boolean lengthDependent(RopeScaling s) {
    return s != null && (s.ropeType().equals("dynamic") || s.ropeType().equals("longrope"));
  }

  /**
   * Whether a forward whose positions reach {@code seqLen} - 1 rotates with other frequencies than
   * the ones computed at load: dynamic NTK past max_position_embeddings (its base grows with the
   * length), longrope past original_max_position_embeddings (its long factors).
   */
  static boolean grows(DecoderConfig c, long seqLen) {
    RopeScaling s = c.ropeScaling();
    if (s == null) return false;
    return switch (s.ropeType()) {
      case "dynamic" -> seqLen > c.maxPositionEmbeddings();
      case "longrope" -> seqLen > s.originalMaxPositionEmbeddings();
      default -> false;
    };
  }

  /**
   * Dynamic NTK's base for a forward reaching {@code seqLen} - 1 (past max_position_embeddings):
   * theta · (factor · seqLen / max − (factor − 1))^(rd / (rd − 2)).
   */
  static double dynamicTheta(DecoderConfig c, long seqLen) {
    double f = c.ropeScaling().factor(), rd = c.rotaryDim();
    return c.ropeTheta()
        * Math.pow(f * seqLen / c.maxPositionEmbeddings() - (f - 1), rd / (rd - 2));
  }

  /**
   * The factor on cos and sin (transformers' attention_scaling): yarn's and longrope's attention
   * factor, 1 for the other types.
   */
  static double attentionFactor(RopeScaling s) {
    return s == null || s.attentionFactor() == null ? 1 : s.attentionFactor();
  }

  /**
   * The scaled inverse frequencies (rd/2) from the unscaled ones; {@code invFreq} itself when the
   * type leaves them alone (none, dynamic: its growth is a new base, see {@link #dynamicTheta}).
   * {@code theta}: the RoPE base; {@code longFactors}: longrope's long factors, not its short ones.
   */
  static NDArray apply(
      RopeScaling s, NDArray invFreq, double theta, int rotaryDim, boolean longFactors) {
    if (s == null || s.ropeType().equals("dynamic")) return invFreq;
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
      case "yarn" -> yarn(s, f, out, theta, rotaryDim);
      case "longrope" -> { // each frequency divided by its own factor, short or long
        List<Double> ext = longFactors ? s.longFactor() : s.shortFactor();
        for (int i = 0; i < f.length; i++) out[i] = (float) (f[i] / ext.get(i).floatValue());
      }
      default -> throw new IllegalArgumentException("rope_type " + s.ropeType());
    }
    NDArray scaled = invFreq.getManager().create(out);
    invFreq.close();
    return scaled;
  }

  /**
   * YaRN: frequencies that turn fewer than beta_slow times over the original context are
   * interpolated (divided by factor), those turning more than beta_fast times kept, a linear ramp
   * over the dimensions between.
   */
  private static void yarn(RopeScaling s, float[] f, float[] out, double base, int dim) {
    double low = correctionDim(s.betaFast(), dim, base, s.originalMaxPositionEmbeddings());
    double high = correctionDim(s.betaSlow(), dim, base, s.originalMaxPositionEmbeddings());
    if (s.truncate()) {
      low = Math.floor(low);
      high = Math.ceil(high);
    }
    low = Math.max(low, 0);
    high = Math.min(high, dim - 1);
    if (low == high) high += 0.001; // transformers' guard against a zero-width ramp
    for (int i = 0; i < f.length; i++) {
      float ramp = (float) Math.min(1, Math.max(0, (i - low) / (high - low)));
      float extrapolation = 1 - ramp; // share of the kept frequency
      float interpolation = (float) (f[i] / s.factor());
      out[i] = interpolation * (1 - extrapolation) + f[i] * extrapolation;
    }
  }

  /** The dimension whose frequency turns {@code rotations} times over {@code positions}. */
  private static double correctionDim(double rotations, int dim, double base, int positions) {
    return dim * Math.log(positions / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
  }
}
