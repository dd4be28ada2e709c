package io.liandan.workflows.activities;

import io.liandan.workflows.EvalPayload;
import io.liandan.workflows.StageResult;
import io.liandan.workflows.TrainPayload;
import io.temporal.activity.ActivityInterface;

/** The model stages (GPU queue when there is one): pt, sft, dpo through train; eval. */
@ActivityInterface
public interface TrainActivities {
  StageResult train(TrainPayload payload);

  StageResult eval(EvalPayload payload);
}
