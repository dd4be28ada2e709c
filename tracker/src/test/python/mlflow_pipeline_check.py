"""Liandan's own pipeline runs read through the real MLflow client. MlflowClientTest seeds, through
the tracker's HTTP API as the pipeline's stages log, project "pipelines" with pipeline "wf-7": an
SFT stage (finished; train/loss at steps 1..4, eval/loss at 4) and a DPO stage (running). Arguments:
the SFT run's id, the DPO run's id. A test tool, not product code; prints one JSON line last."""

import json
import os
import sys

import mlflow
from mlflow import MlflowClient

sft_id, dpo_id = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
client = MlflowClient()

exp = client.get_experiment_by_name("pipelines")
assert exp is not None and exp.lifecycle_stage == "active", exp

sft = client.get_run(sft_id)
assert sft.info.experiment_id == exp.experiment_id and sft.info.status == "FINISHED", sft.info
assert sft.info.run_name == "wf-7-sft", sft.info
# params: the stage's config, top-level entries; nested settings as JSON text
assert sft.data.params["model"] == "qwen-tiny", sft.data.params
assert sft.data.params["epochs"] == "2", sft.data.params
assert json.loads(sft.data.params["lora"]) == {"r": 16, "alpha": 32}, sft.data.params
tags = sft.data.tags
assert tags["liandan.group"] == "wf-7" and tags["liandan.job_type"] == "sft", tags
assert tags["liandan.key"] == "wf-7/sft" and tags["liandan.workflow_id"] == "wf-7", tags
assert json.loads(tags["liandan.tags"]) == ["pipeline:wf-7", "stage:sft"], tags
assert tags["mlflow.runName"] == "wf-7-sft", tags
assert sft.data.metrics == {"train/loss": 1.25, "eval/loss": 1.5}, sft.data.metrics
history = client.get_metric_history(sft_id, "train/loss")
assert [(m.step, m.value) for m in history] == [(1, 2.0), (2, 1.75), (3, 1.5), (4, 1.25)], history

assert client.get_run(dpo_id).info.status == "RUNNING"

def names(filter_string):
    return sorted(r.info.run_name for r in client.search_runs([exp.experiment_id], filter_string))

assert names("tags.liandan.group = 'wf-7'") == ["wf-7-dpo", "wf-7-sft"]
assert names("tags.`liandan.job_type` = 'dpo'") == ["wf-7-dpo"]
assert names("tags.liandan.tags = 'stage:sft'") == ["wf-7-sft"]
assert names("tags.liandan.group = 'wf-7' and metrics.`eval/loss` < 2") == ["wf-7-sft"]
assert names("params.model = 'qwen-tiny' and attributes.status = 'RUNNING'") == ["wf-7-dpo"]

# the run's own fields are read-only through MLflow
try:
    client.set_tag(sft_id, "liandan.group", "other")
    raise AssertionError("a liandan.* tag was written")
except mlflow.exceptions.MlflowException as e:
    assert e.error_code == "INVALID_PARAMETER_VALUE", e.error_code

print(json.dumps({"experiment_id": exp.experiment_id, "tags": tags}))
