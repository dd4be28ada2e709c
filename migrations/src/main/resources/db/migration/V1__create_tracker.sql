-- The tracker's schema: projects, runs, metric history with a per-series summary, sample tables,
-- artifacts with lineage, API tokens. PostgreSQL only. Every constraint is named so that later
-- migrations can refer to it; jOOQ's classes are generated from this schema at build time.

CREATE TABLE projects (
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projects_pk PRIMARY KEY (id),
    CONSTRAINT projects_name_uq UNIQUE (name),
    CONSTRAINT projects_name_ck CHECK (length(name) BETWEEN 1 AND 128)
);

-- One run = one stage of one pipeline (group = the pipeline, job_type = the stage). run_key is the
-- caller's create-or-resume key (e.g. workflow id + stage), unique per project. state is stored as
-- the client last reported it; a 'running' run whose heartbeat_at is older than the server's timeout
-- is shown as 'crashed' (derived on read, so a late heartbeat revives it).
CREATE TABLE runs (
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    project_id   bigint      NOT NULL,
    run_key      text,
    name         text,
    group_name   text,
    job_type     text,
    state        text        NOT NULL DEFAULT 'running',
    config       jsonb       NOT NULL DEFAULT '{}',
    summary      jsonb       NOT NULL DEFAULT '{}',
    tags         text[]      NOT NULL DEFAULT '{}',
    notes        text,
    workflow_id  text,
    activity_id  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT runs_pk PRIMARY KEY (id),
    CONSTRAINT runs_project_fk FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT runs_project_key_uq UNIQUE (project_id, run_key),
    CONSTRAINT runs_state_ck CHECK (state IN ('running', 'finished', 'failed', 'crashed')),
    CONSTRAINT runs_config_ck CHECK (jsonb_typeof(config) = 'object'),
    CONSTRAINT runs_summary_ck CHECK (jsonb_typeof(summary) = 'object')
);
CREATE INDEX runs_project_created_ix ON runs (project_id, created_at DESC);
CREATE INDEX runs_tags_ix ON runs USING gin (tags);

-- Metric history, one row per point; a re-sent point replaces the stored one (later value wins).
-- System metrics live here too, under keys starting with 'system/'. double precision stores NaN and
-- ±Infinity. No foreign key to runs on purpose: a per-row RI trigger would cost a lookup per point
-- at ingestion volume; the write statement only inserts for a run it found, and metric_summaries (one
-- row per series) carries the foreign key. The key INCLUDEs value, so that reading and downsampling a
-- series is an index-only range scan.
CREATE TABLE metric_points (
    run_id    bigint           NOT NULL,
    key       text             NOT NULL,
    step      bigint           NOT NULL,
    value     double precision NOT NULL,
    wall_time timestamptz      NOT NULL,
    CONSTRAINT metric_points_pk PRIMARY KEY (run_id, key, step) INCLUDE (value)
);

-- One row per (run, key), kept current in the same statement that writes the points: what the runs
-- table and the compare view show without scanning history. min/max ignore NaN (null when every
-- value so far was NaN); first/last are the values at the smallest/largest step, NaN included.
CREATE TABLE metric_summaries (
    run_id      bigint           NOT NULL,
    key         text             NOT NULL,
    first_step  bigint           NOT NULL,
    first_value double precision NOT NULL,
    last_step   bigint           NOT NULL,
    last_value  double precision NOT NULL,
    min_value   double precision,
    max_value   double precision,
    count       bigint           NOT NULL,
    updated_at  timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT metric_summaries_pk PRIMARY KEY (run_id, key),
    CONSTRAINT metric_summaries_run_fk FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE,
    CONSTRAINT metric_summaries_count_ck CHECK (count >= 0)
);

-- Tables of sample generations (prompt, completion, reward, ...): one jsonb row per index.
CREATE TABLE sample_rows (
    run_id     bigint      NOT NULL,
    table_name text        NOT NULL,
    row_index  integer     NOT NULL,
    step       bigint,
    data       jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sample_rows_pk PRIMARY KEY (run_id, table_name, row_index),
    CONSTRAINT sample_rows_run_fk FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE,
    CONSTRAINT sample_rows_index_ck CHECK (row_index >= 0)
);

-- Artifacts (model folders, adapters, datasets, shards) with lineage: the run that produced one,
-- and every run that used it. A run logs an artifact name once; logging it again updates it.
CREATE TABLE artifacts (
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    name            text        NOT NULL,
    type            text        NOT NULL,
    uri             text        NOT NULL,
    sha256          text,
    size_bytes      bigint,
    metadata        jsonb       NOT NULL DEFAULT '{}',
    producer_run_id bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT artifacts_pk PRIMARY KEY (id),
    CONSTRAINT artifacts_producer_fk FOREIGN KEY (producer_run_id) REFERENCES runs (id) ON DELETE SET NULL,
    CONSTRAINT artifacts_producer_name_uq UNIQUE (producer_run_id, name),
    CONSTRAINT artifacts_sha256_ck CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT artifacts_size_ck CHECK (size_bytes >= 0),
    CONSTRAINT artifacts_metadata_ck CHECK (jsonb_typeof(metadata) = 'object')
);
CREATE INDEX artifacts_sha256_ix ON artifacts (sha256);
CREATE INDEX artifacts_uri_ix ON artifacts (uri);

CREATE TABLE artifact_usages (
    artifact_id bigint      NOT NULL,
    run_id      bigint      NOT NULL,
    used_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT artifact_usages_pk PRIMARY KEY (artifact_id, run_id),
    CONSTRAINT artifact_usages_artifact_fk FOREIGN KEY (artifact_id) REFERENCES artifacts (id) ON DELETE CASCADE,
    CONSTRAINT artifact_usages_run_fk FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE
);
CREATE INDEX artifact_usages_run_ix ON artifact_usages (run_id);

-- API tokens: only the SHA-256 of a token is stored; the plaintext is shown once, at creation.
CREATE TABLE api_tokens (
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    name         text        NOT NULL,
    token_sha256 text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    CONSTRAINT api_tokens_pk PRIMARY KEY (id),
    CONSTRAINT api_tokens_sha256_uq UNIQUE (token_sha256),
    CONSTRAINT api_tokens_sha256_ck CHECK (token_sha256 ~ '^[0-9a-f]{64}$')
);
