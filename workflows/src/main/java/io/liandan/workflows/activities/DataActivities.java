package io.liandan.workflows.activities;

import io.liandan.workflows.PrepareRequest;
import io.liandan.workflows.Prepared;
import io.liandan.workflows.StageRequest;
import io.liandan.workflows.StageResult;
import io.temporal.activity.ActivityInterface;

/** The CPU stages: download (and content keys), format, tokenize, merge. */
@ActivityInterface
public interface DataActivities {
  Prepared download(PrepareRequest request);

  StageResult format(StageRequest request);

  StageResult tokenize(StageRequest request);

  StageResult merge(StageRequest request);
}
