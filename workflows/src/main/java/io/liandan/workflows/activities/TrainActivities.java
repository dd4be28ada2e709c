package io.liandan.workflows.activities;

import io.liandan.workflows.StageRequest;
import io.liandan.workflows.StageResult;
import io.temporal.activity.ActivityInterface;

/** The model stages (GPU queue when there is one): pt, sft, dpo through train; eval. */
@ActivityInterface
public interface TrainActivities {
  StageResult train(StageRequest request);

  StageResult eval(StageRequest request);
}
