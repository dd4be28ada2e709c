package io.liandan.llm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import io.liandan.llm.tensor.Scalars;
import io.liandan.spec.PreferenceConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pairwise preference losses by TRL 1.16's names and formulas: DPOTrainer's {@code loss_type}s
 * (sigmoid, hinge, ipo, exo_pair, robust, bco_pair, apo_zero, sft; several combine with {@code
 * loss_weights}), and the two reference-free ones, ORPOTrainer's odds-ratio loss ({@code orpo}, β =
 * ORPO's λ) and CPOTrainer's {@code simpo}. Inputs are (B) summed completion log-probabilities and
 * their token counts; the loss is one scalar (TRL's sft and NLL terms are token means over the
 * batch, not per-pair). What it logs, under TRL's names, is in {@link #metrics}.
 */
public record PreferenceLoss(
    NDArray loss,
    NDArray rewardsChosen,
    NDArray rewardsRejected,
    NDArray logpsChosen,
    NDArray logpsRejected,
    Map<String, NDArray> extra) {

  /**
   * One side's numbers for a micro-batch. {@code chosen}/{@code rejected}: (B) summed completion
   * log-probs; counts (B) float32 completion tokens; {@code refChosen}/{@code refRejected} null for
   * reference-free methods; {@code promptChosen}/{@code promptCount}: (B) chosen prompt-token
   * log-probs and counts, ORPO only.
   */
  public record Inputs(
      NDArray chosen,
      NDArray rejected,
      NDArray chosenCount,
      NDArray rejectedCount,
      NDArray refChosen,
      NDArray refRejected,
      NDArray promptChosen,
      NDArray promptCount) {}

  public static PreferenceLoss of(PreferenceConfig c, Inputs in) {
    return switch (c.lossType().get(0)) {
      case "orpo" -> orpo(c, in);
      case "simpo" -> simpo(c, in);
      default -> dpo(c, in);
    };
  }

  /** DPOTrainer._compute_loss, f_divergence_type reverse_kl: the weighted sum of its terms. */
  static PreferenceLoss dpo(PreferenceConfig c, Inputs in) {
    NDManager m = in.chosen().getManager();
    NDArray chosen = in.chosen().sub(in.refChosen()); // (B) chosen log-ratio
    NDArray rejected = in.rejected().sub(in.refRejected());
    NDArray beta = Scalars.of(m, c.beta()), one = Scalars.of(m, 1);
    NDArray z = chosen.sub(rejected).mul(beta); // β·Δ
    double ls = c.labelSmoothing();
    NDArray loss = null;
    for (int i = 0; i < c.lossType().size(); i++) {
      NDArray term =
          switch (c.lossType().get(i)) {
            case "sigmoid" -> negLogSigmoid(z).mean();
            case "hinge" -> Activation.relu(one.sub(z)).mean();
            case "ipo" -> {
              // per-token averages, as TRL confirmed with the IPO authors; β is IPO's τ
              NDArray d =
                  chosen
                      .div(atLeastOne(in.chosenCount()))
                      .sub(rejected.div(atLeastOne(in.rejectedCount())));
              yield d.sub(Scalars.of(m, 1 / (2 * c.beta()))).square().mean();
            }
            case "exo_pair" -> {
              NDArray qw = Activation.sigmoid(z), ql = Activation.sigmoid(z.neg());
              NDArray logQw = negLogSigmoid(z).neg(), logQl = negLogSigmoid(z.neg()).neg();
              yield qw.mul(logQw.sub(Scalars.of(m, Math.log1p(-ls))))
                  .add(ql.mul(logQl.sub(Scalars.of(m, Math.log(ls)))))
                  .mean();
            }
            case "robust" ->
                negLogSigmoid(z)
                    .mul(Scalars.of(m, 1 - ls))
                    .sub(negLogSigmoid(z.neg()).mul(Scalars.of(m, ls)))
                    .div(Scalars.of(m, 1 - 2 * ls))
                    .mean();
            case "bco_pair" ->
                negLogSigmoid(chosen.mul(beta)).add(negLogSigmoid(rejected.mul(beta).neg())).mean();
            case "apo_zero" ->
                one.sub(Activation.sigmoid(chosen.mul(beta)))
                    .add(Activation.sigmoid(rejected.mul(beta)))
                    .mean();
            case "sft" -> tokenMeanNll(in.chosen(), in.chosenCount()); // the old rpo_alpha term
            default ->
                throw new IllegalArgumentException("unknown loss_type " + c.lossType().get(i));
          };
      term = term.mul(Scalars.of(m, c.lossWeights().get(i)));
      loss = loss == null ? term : loss.add(term);
    }
    return new PreferenceLoss(
        loss, chosen.mul(beta), rejected.mul(beta), in.chosen(), in.rejected(), Map.of());
  }

  /**
   * ORPOTrainer: NLL of the chosen sequence (prompt and completion, token mean) − β·mean log σ(log
   * odds), the odds taken on per-token average log-probs. Rewards are β·average log-probs.
   */
  static PreferenceLoss orpo(PreferenceConfig c, Inputs in) {
    NDManager m = in.chosen().getManager();
    NDArray ac = in.chosen().div(atLeastOne(in.chosenCount())); // (B) average log-probs
    NDArray ar = in.rejected().div(atLeastOne(in.rejectedCount()));
    NDArray logOdds = ac.sub(ar).sub(log1mexp(ac).sub(log1mexp(ar)));
    NDArray ratio = negLogSigmoid(logOdds).neg(); // log σ(log odds)
    NDArray nll =
        in.chosen()
            .sum()
            .add(in.promptChosen().sum())
            .neg()
            .div(in.chosenCount().sum().add(in.promptCount().sum()));
    NDArray beta = Scalars.of(m, c.beta());
    NDArray loss = nll.sub(ratio.mean().mul(beta));
    Map<String, NDArray> extra = new LinkedHashMap<>();
    extra.put("nll_loss", nll);
    extra.put("log_odds_ratio", ratio.mean());
    extra.put("log_odds_chosen", logOdds.mean());
    return new PreferenceLoss(loss, ac.mul(beta), ar.mul(beta), ac, ar, extra);
  }

  /**
   * CPOTrainer with loss_type simpo: −log σ(β·(avg_c − avg_r) − γ), with CPO's label smoothing,
   * plus cpo_alpha × the chosen completions' NLL (0 = pure SimPO).
   */
  static PreferenceLoss simpo(PreferenceConfig c, Inputs in) {
    NDManager m = in.chosen().getManager();
    NDArray ac = in.chosen().div(atLeastOne(in.chosenCount()));
    NDArray ar = in.rejected().div(atLeastOne(in.rejectedCount()));
    NDArray beta = Scalars.of(m, c.beta());
    NDArray z = ac.sub(ar).sub(Scalars.of(m, c.simpoGamma() / c.beta())).mul(beta);
    double ls = c.labelSmoothing();
    NDArray losses = negLogSigmoid(z).mul(Scalars.of(m, 1 - ls));
    if (ls != 0) losses = losses.add(negLogSigmoid(z.neg()).mul(Scalars.of(m, ls)));
    NDArray loss = losses.mean();
    NDArray nll = Scalars.of(m, 0);
    if (c.cpoAlpha() != 0) {
      nll = tokenMeanNll(in.chosen(), in.chosenCount());
      loss = loss.add(nll.mul(Scalars.of(m, c.cpoAlpha())));
    }
    Map<String, NDArray> extra = new LinkedHashMap<>();
    extra.put("nll_loss", nll);
    return new PreferenceLoss(loss, ac.mul(beta), ar.mul(beta), ac, ar, extra);
  }

  /** rewards/accuracies: share of pairs whose chosen reward beats the rejected one. */
  public NDArray accuracy() {
    return rewardsChosen.gt(rewardsRejected).toType(DataType.FLOAT32, false).mean();
  }

  /** rewards/margins: mean of chosen minus rejected rewards. */
  public NDArray margin() {
    return rewardsChosen.sub(rewardsRejected).mean();
  }

  /** −log σ(z) = max(−z, 0) + log(1 + e^{−|z|}), stable for large |z|. */
  static NDArray negLogSigmoid(NDArray z) {
    NDManager m = z.getManager();
    return z.neg().maximum(Scalars.of(m, 0)).add(z.abs().neg().exp().add(Scalars.of(m, 1)).log());
  }

  /** −Σ log p / Σ tokens over the batch: transformers' token-mean cross-entropy. */
  private static NDArray tokenMeanNll(NDArray sums, NDArray counts) {
    return sums.sum().neg().div(counts.sum());
  }

  private static NDArray atLeastOne(NDArray counts) {
    return counts.maximum(Scalars.of(counts.getManager(), 1));
  }

  /**
   * log(1 − e^x) for x &lt; 0, as TRL's log1mexp branches at −ln 2: below it log(1 − e^x) is exact
   * enough; above it 1 − e^x cancels (TRL uses expm1, which DJL lacks), so it is −x·Σ xⁿ/(n+1)!,
   * whose eleven terms reach float32's precision for |x| ≤ ln 2. Each branch sees x clamped to its
   * side, so the unused one stays finite and its zero gradient never turns into NaN. (A float64
   * round trip would be simpler, but no gradient came back through DJL's toType: ORPO's gradients
   * were 1e-4 off TRL's with it.)
   */
  static NDArray log1mexp(NDArray x) {
    NDManager m = x.getManager();
    NDArray cut = Scalars.of(m, -LN2);
    NDArray far = x.minimum(cut), near = x.maximum(cut);
    NDArray farPart = Scalars.of(m, 1).sub(far.exp()).log();
    NDArray series = Scalars.of(m, 1);
    for (int n = 12; n >= 2; n--)
      series = Scalars.of(m, 1).add(near.mul(series).div(Scalars.of(m, n)));
    NDArray nearPart = near.neg().log().add(series.log());
    return NDArrays.where(x.lt(cut), farPart, nearPart);
  }

  private static final double LN2 = 0.6931471805599453;
}
