"""The real MLflow client (mlflow-skinny) against Liandan's tracker: logs runs through the fluent API,
reads them back through MlflowClient, and asserts what comes back. A test tool for MlflowClientTest,
not product code. Needs MLFLOW_TRACKING_URI and MLFLOW_TRACKING_TOKEN; prints one JSON line last
(the ids) so that the Java side can check the tracker's own API sees the same runs."""

import json
import math
import os

import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
client = MlflowClient()

# ---- logging through the fluent API, as a training script does ----
exp = mlflow.set_experiment("client-check")
assert exp.name == "client-check" and exp.lifecycle_stage == "active", exp
assert mlflow.set_experiment("client-check").experiment_id == exp.experiment_id  # found, not made

LOSSES = {"sft-a": [2.0, 1.5, 1.0, 0.75, 0.5], "sft-b": [2.5, 2.0, 1.8, 1.6, 1.4], "dpo-c": [0.7, 0.6]}
LR = {"sft-a": "0.001", "sft-b": "0.0001", "dpo-c": "5e-07"}
ids = {}
for name, losses in LOSSES.items():
    with mlflow.start_run(run_name=name) as run:
        ids[name] = run.info.run_id
        mlflow.log_params({"lr": LR[name], "epochs": 3, "model": "qwen-tiny"})
        for step, loss in enumerate(losses):
            mlflow.log_metric("train/loss", loss, step=step)
        mlflow.log_metrics({"eval/loss": losses[-1] + 0.1, "eval/acc": 0.5}, step=len(losses))
        mlflow.set_tags({"kind": name.split("-")[0], "owner": "ci"})
failed = None
try:
    with mlflow.start_run(run_name="broken") as run:
        failed = run.info.run_id
        mlflow.log_metric("train/loss", float("nan"), step=0)
        raise RuntimeError("boom")
except RuntimeError:
    pass

# ---- reading back ----
a = client.get_run(ids["sft-a"])
assert a.info.run_id == ids["sft-a"] and a.info.experiment_id == exp.experiment_id, a.info
assert a.info.run_name == "sft-a" and a.info.status == "FINISHED", a.info
assert a.info.start_time > 0 and a.info.end_time >= a.info.start_time, a.info
assert a.data.params == {"lr": "0.001", "epochs": "3", "model": "qwen-tiny"}, a.data.params
assert a.data.metrics == {"train/loss": 0.5, "eval/loss": 0.6, "eval/acc": 0.5}, a.data.metrics
assert a.data.tags["kind"] == "sft" and a.data.tags["owner"] == "ci", a.data.tags
assert a.data.tags["mlflow.runName"] == "sft-a", a.data.tags
broken = client.get_run(failed)
assert broken.info.status == "FAILED", broken.info
assert math.isnan(broken.data.metrics["train/loss"]), broken.data.metrics

history = client.get_metric_history(ids["sft-a"], "train/loss")
assert [m.step for m in history] == [0, 1, 2, 3, 4], history
assert [m.value for m in history] == LOSSES["sft-a"], history
assert all(m.timestamp > 0 and m.key == "train/loss" for m in history), history
assert client.get_metric_history(ids["sft-a"], "no/such/key") == []

# a param is immutable once logged, as in MLflow
try:
    client.log_param(ids["sft-a"], "lr", "0.5")
    raise AssertionError("changing a param was accepted")
except MlflowException as e:
    assert e.error_code == "INVALID_PARAMETER_VALUE", e.error_code
client.log_param(ids["sft-a"], "lr", "0.001")  # the same value again is fine

# ---- search_runs: filter strings, order_by and paging ----
def names(runs):
    return [r.info.run_name for r in runs]

E = [exp.experiment_id]
assert names(client.search_runs(E, "params.lr = '0.001'")) == ["sft-a"]
assert sorted(names(client.search_runs(E, "tags.kind = 'sft' and metrics.`train/loss` < 1.0"))) == ["sft-a"]
assert sorted(names(client.search_runs(E, "attributes.status = 'FAILED'"))) == ["broken"]
assert sorted(names(client.search_runs(E, "attributes.run_name != 'broken' and tags.owner = 'ci'"))) == [
    "dpo-c", "sft-a", "sft-b"]
ordered = client.search_runs(E, "tags.owner = 'ci'", order_by=["metrics.`train/loss` DESC"])
assert names(ordered) == ["sft-b", "dpo-c", "sft-a"], names(ordered)
seen, token, pages = [], None, 0
while True:
    page = client.search_runs(E, "", max_results=2, page_token=token, order_by=["attributes.start_time ASC"])
    assert len(page) <= 2
    seen += names(page)
    pages += 1
    token = page.token
    if not token:
        break
assert seen == ["sft-a", "sft-b", "dpo-c", "broken"] and pages == 2, (seen, pages)
try:
    client.search_runs(E, "metrics.x <<< 1")
    raise AssertionError("a bad filter was accepted")
except MlflowException as e:
    assert e.error_code == "INVALID_PARAMETER_VALUE", e.error_code

# ---- search_experiments: filter strings, order_by, view_type and paging ----
for n in ("client-check-2", "client-check-3", "elsewhere"):
    client.create_experiment(n)
found = client.search_experiments(filter_string="name LIKE 'client-check%'", order_by=["name ASC"])
assert [e.name for e in found] == ["client-check", "client-check-2", "client-check-3"], found
assert [e.name for e in client.search_experiments(filter_string="name = 'elsewhere'")] == ["elsewhere"]
assert client.search_experiments(view_type=ViewType.DELETED_ONLY) == []
everything = client.search_experiments(view_type=ViewType.ALL, order_by=["name ASC"])
seen, token = [], None
while True:
    page = client.search_experiments(
        view_type=ViewType.ACTIVE_ONLY, max_results=2, page_token=token, order_by=["name ASC"])
    assert len(page) <= 2
    seen += [e.name for e in page]
    token = page.token
    if not token:
        break
assert seen == [e.name for e in everything] and len(seen) >= 4, (seen, everything)

print(json.dumps({"experiment_id": exp.experiment_id, "runs": ids, "failed": failed}))
