package io.liandan.llm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import io.liandan.llm.tensor.Scalars;
import io.liandan.spec.TrainingArgs;

/**
 * TRL 1.16's KTO loss (KTOTrainer._compute_loss, loss_type "kto") on unpaired examples: a desirable
 * completion loses 1 − σ(β·(log-ratio − z)), an undesirable one 1 − σ(β·(z − log-ratio)), weighted
 * by {@code desirable_weight} / {@code undesirable_weight} and averaged over the batch. z is the KL
 * estimate: the mean policy-minus-reference log-ratio of mismatched (prompt, another example's
 * completion) pairs, clamped at 0, without gradient. Not the paired losses of {@link
 * PreferenceLoss}: each row is one example with its own label.
 *
 * @param loss scalar
 * @param kl scalar, TRL's logged {@code kl}
 * @param rewards (B) β·(policy − reference) log-probs, chosen and rejected rows alike
 */
public record KtoLoss(NDArray loss, NDArray kl, NDArray rewards) {

  /**
   * TRL's {@code beta}, {@code desirable_weight} and {@code undesirable_weight}.
   *
   * @param beta how sharply the log-ratio against z is scored
   * @param desirable the weight of a desirable example's loss
   * @param undesirable the weight of an undesirable example's loss
   */
  public record Weights(double beta, double desirable, double undesirable) {
    /** The weights a stage's training arguments ask for. */
    public static Weights of(TrainingArgs args) {
      return new Weights(args.beta(), args.desirableWeight(), args.undesirableWeight());
    }
  }

  /**
   * @param policy (B) summed completion log-probs under the policy
   * @param reference (B) the same under the reference
   * @param desirable (B) float32 1 for a desirable example, 0 for an undesirable one
   * @param klPolicy (B) mismatched pairs' log-probs under the policy, computed without gradient
   * @param klReference (B) the same under the reference
   */
  public static KtoLoss of(
      NDArray policy,
      NDArray reference,
      NDArray desirable,
      NDArray klPolicy,
      NDArray klReference,
      Weights w) {
    NDManager m = policy.getManager();
    NDArray one = Scalars.of(m, 1), b = Scalars.of(m, w.beta());
    NDArray z =
        klPolicy.sub(klReference).mean().maximum(Scalars.of(m, 0)); // no graph: inputs have none
    NDArray ratio = policy.sub(reference);
    NDArray chosen = one.sub(Activation.sigmoid(ratio.sub(z).mul(b)));
    NDArray rejected = one.sub(Activation.sigmoid(z.sub(ratio).mul(b)));
    NDArray losses =
        chosen
            .mul(desirable)
            .mul(Scalars.of(m, w.desirable()))
            .add(rejected.mul(one.sub(desirable)).mul(Scalars.of(m, w.undesirable())));
    return new KtoLoss(losses.mean(), z, ratio.mul(b));
  }

  /** Mean of {@code perRow} over the rows where {@code mask} is 1 (NaN when there are none). */
  public static double maskedMean(NDArray perRow, NDArray mask) {
    float n = mask.sum().getFloat();
    return n == 0 ? Double.NaN : perRow.mul(mask).sum().getFloat() / n;
  }
}
