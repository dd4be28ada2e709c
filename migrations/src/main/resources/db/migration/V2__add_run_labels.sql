-- Key/value labels on a run (MLflow's run tags; the text[] tags column stays wandb's list of tags).
-- The MLflow API maps its tags here, except mlflow.runName (runs.name) and mlflow.note.content
-- (runs.notes).
ALTER TABLE runs
    ADD COLUMN labels jsonb NOT NULL DEFAULT '{}',
    ADD CONSTRAINT runs_labels_ck CHECK (jsonb_typeof(labels) = 'object');
