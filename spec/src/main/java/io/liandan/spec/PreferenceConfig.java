package io.liandan.spec;

import java.util.List;

/**
 * Which preference loss to compute, by TRL 1.16's names (llm's {@code PreferenceLoss} computes it).
 * {@code lossType} holds DPO types (weighted by {@code lossWeights}) or one reference-free method;
 * {@code cpoAlpha} weighs SimPO's optional NLL term (CPOConfig's name).
 */
public record PreferenceConfig(
    List<String> lossType,
    List<Double> lossWeights,
    double beta,
    double labelSmoothing,
    double simpoGamma,
    double cpoAlpha) {
  /** DPOTrainer's loss types implemented here. */
  public static final List<String> DPO_TYPES =
      List.of("sigmoid", "hinge", "ipo", "exo_pair", "robust", "bco_pair", "apo_zero", "sft");

  /** Methods that need no reference model; each stands alone. */
  public static final List<String> REFERENCE_FREE = List.of("orpo", "simpo");

  public PreferenceConfig {
    lossType = List.copyOf(lossType);
    lossWeights =
        lossWeights == null || lossWeights.isEmpty()
            ? java.util.Collections.nCopies(lossType.size(), 1.0)
            : List.copyOf(lossWeights);
  }

  /** TRL's default DPO: sigmoid. */
  public static PreferenceConfig sigmoid(double beta) {
    return new PreferenceConfig(List.of("sigmoid"), null, beta, 0, 0.5, 0);
  }

  public boolean referenceFree() {
    return lossType.size() == 1 && REFERENCE_FREE.contains(lossType.get(0));
  }

  /** ORPO's NLL counts the prompt tokens of the chosen sequence too. */
  public boolean needsPromptLogps() {
    return lossType.equals(List.of("orpo"));
  }

  /** Every bad combination, as {@code key: message} with TRL's names. */
  public List<String> problems() {
    List<String> p = new java.util.ArrayList<>();
    if (lossType.isEmpty()) p.add("loss_type: must name at least one loss");
    for (String t : lossType) {
      if (!DPO_TYPES.contains(t) && !REFERENCE_FREE.contains(t))
        p.add(
            "loss_type: '"
                + t
                + "' is not one of "
                + DPO_TYPES
                + " or the reference-free "
                + REFERENCE_FREE);
      else if (REFERENCE_FREE.contains(t) && lossType.size() > 1)
        p.add("loss_type: '" + t + "' is a method of its own and cannot be combined");
    }
    if (lossWeights.size() != lossType.size())
      p.add(
          "loss_weights: needs one weight per loss_type ("
              + lossType.size()
              + "), got "
              + lossWeights.size());
    if (!(beta > 0)) p.add("beta: must be > 0, got " + beta);
    boolean smoothed =
        lossType.contains("robust")
            || lossType.contains("exo_pair")
            || lossType.equals(List.of("simpo"));
    if (labelSmoothing != 0 && !smoothed)
      p.add(
          "label_smoothing: TRL 1.16 applies it to robust, exo_pair and simpo only, not to "
              + lossType);
    if (lossType.contains("robust") && !(labelSmoothing >= 0 && labelSmoothing < 0.5))
      p.add("label_smoothing: must be in [0, 0.5) for robust, got " + labelSmoothing);
    if (lossType.contains("exo_pair") && !(labelSmoothing > 0 && labelSmoothing < 1))
      p.add("label_smoothing: must be in (0, 1) for exo_pair (the paper uses 1e-3)");
    if (!(cpoAlpha >= 0)) p.add("cpo_alpha: must be >= 0, got " + cpoAlpha);
    if (!Double.isFinite(simpoGamma)) p.add("simpo_gamma: must be a number");
    return p;
  }
}
