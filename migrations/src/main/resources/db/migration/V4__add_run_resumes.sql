-- When a run was resumed: each POST /runs with a key that already exists (a retried or resumed
-- pipeline stage) appends the database's now(). The UI's stage timeline marks them.
ALTER TABLE runs
    ADD COLUMN resumed_at timestamptz[] NOT NULL DEFAULT '{}';
