-- Pre-aggregated metric history, so that a downsampled read of a long series scans a few thousand
-- rows instead of every point: for each series and each bucket width (16, 256, 4096 and 65536
-- steps; bucket = floor(step / width)), the bucket's minimum point and maximum point. Kept current
-- by the statement that writes the points; a bucket whose stored point changed value is rebuilt
-- from metric_points. Ordering as in the downsampling: NaN counts as the largest value, ties go to
-- the smaller step. No foreign key, as for metric_points.
CREATE TABLE metric_rollups (
    run_id    bigint           NOT NULL,
    key       text             NOT NULL,
    width     integer          NOT NULL,
    bucket    bigint           NOT NULL,
    min_step  bigint           NOT NULL,
    min_value double precision NOT NULL,
    max_step  bigint           NOT NULL,
    max_value double precision NOT NULL,
    CONSTRAINT metric_rollups_pk PRIMARY KEY (run_id, key, width, bucket),
    CONSTRAINT metric_rollups_width_ck CHECK (width > 0)
);
