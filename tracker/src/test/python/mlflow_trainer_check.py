"""transformers' Trainer with report_to=["mlflow"] against Liandan's tracker: trains a tiny randomly
initialised Qwen2 (hidden 32, 2 layers, vocab 100) for a few steps on random token ids, nothing from
the Hub. A test tool for MlflowClientTest, not product code. Needs MLFLOW_TRACKING_URI,
MLFLOW_TRACKING_TOKEN and MLFLOW_EXPERIMENT_NAME; prints one JSON line last: the run's id and what
the MLflow client reads back (so the Java side can compare it with Liandan's own API)."""

import json
import os
import tempfile

import mlflow
import torch
from mlflow import MlflowClient
from transformers import Qwen2Config, Qwen2ForCausalLM, Trainer, TrainingArguments

STEPS = 6
torch.manual_seed(0)
config = Qwen2Config(
    vocab_size=100,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=64,
)
model = Qwen2ForCausalLM(config)
ids = torch.randint(0, 100, (32, 16))
data = [{"input_ids": row, "labels": row} for row in ids]

with tempfile.TemporaryDirectory() as out:
    args = TrainingArguments(
        output_dir=out,
        run_name="tiny-qwen",
        max_steps=STEPS,
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        logging_steps=1,
        save_strategy="no",
        report_to=["mlflow"],
        use_cpu=True,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    Trainer(model=model, args=args, train_dataset=data).train()

run = mlflow.last_active_run()
assert run is not None, "the Trainer logged no MLflow run"
client = MlflowClient()
run = client.get_run(run.info.run_id)
assert run.info.status == "FINISHED", run.info
assert run.info.run_name == "tiny-qwen", run.info
assert run.data.params["learning_rate"] == "0.001", run.data.params
assert run.data.params["max_steps"] == str(STEPS), run.data.params
assert run.data.params["model_type"] == "qwen2", run.data.params
loss = client.get_metric_history(run.info.run_id, "loss")
assert [m.step for m in loss] == list(range(1, STEPS + 1)), loss
assert all(2.0 < m.value < 10.0 for m in loss), loss  # ~ln(100) = 4.6 at random init

print(json.dumps({
    "run_id": run.info.run_id,
    "experiment_id": run.info.experiment_id,
    "params": len(run.data.params),
    "metrics": sorted(run.data.metrics),
    "loss": [m.value for m in loss],
}))
