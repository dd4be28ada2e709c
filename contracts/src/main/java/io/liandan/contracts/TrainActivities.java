package io.liandan.contracts;

import io.temporal.activity.ActivityInterface;

/** The model stages (GPU queue when there is one): pt, sft, dpo through train; eval. */
@ActivityInterface
public interface TrainActivities {
  StageResult train(TrainPayload payload);

  StageResult eval(EvalPayload payload);
}
