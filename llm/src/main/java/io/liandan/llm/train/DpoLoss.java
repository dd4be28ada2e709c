package io.liandan.llm.train;

import ai.djl.ndarray.NDArray;
import io.liandan.llm.tensor.Scalars;

/**
 * TRL's sigmoid DPO loss: −log σ(β·((π_c − r_c) − (π_r − r_r))) per pair, with the rewards TRL
 * logs, β·(π − r). Inputs are (B) summed completion log-probabilities ({@link
 * TokenLogps#perSequence}).
 */
public record DpoLoss(NDArray losses, NDArray rewardsChosen, NDArray rewardsRejected) {

  public static DpoLoss sigmoid(
      NDArray policyChosen,
      NDArray policyRejected,
      NDArray refChosen,
      NDArray refRejected,
      double beta) {
    NDArray chosen = policyChosen.sub(refChosen);
    NDArray rejected = policyRejected.sub(refRejected);
    NDArray b = Scalars.of(chosen.getManager(), beta);
    NDArray z = chosen.sub(rejected).mul(b);
    // −log σ(z) = max(−z, 0) + log(1 + e^{−|z|}), stable for large |z|
    NDArray losses =
        z.neg()
            .maximum(Scalars.of(z.getManager(), 0))
            .add(z.abs().neg().exp().add(Scalars.of(z.getManager(), 1)).log());
    return new DpoLoss(losses, chosen.mul(b), rejected.mul(b));
  }

  /** Mean loss over the batch. */
  public NDArray loss() {
    return losses.mean();
  }

  /** rewards/accuracies: share of pairs whose chosen reward beats the rejected one. */
  public NDArray accuracy() {
    return rewardsChosen
        .gt(rewardsRejected)
        .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
        .mean();
  }

  /** rewards/margins: mean of chosen minus rejected rewards. */
  public NDArray margin() {
    return rewardsChosen.sub(rewardsRejected).mean();
  }
}
