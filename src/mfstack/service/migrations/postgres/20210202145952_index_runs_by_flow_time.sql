-- +goose Up
-- Runs of a flow by time (latest run).
CREATE INDEX IF NOT EXISTS mfstack_runs_flow_ts_idx ON runs_v3 (flow_id, ts_epoch DESC);

-- +goose Down
DROP INDEX IF EXISTS mfstack_runs_flow_ts_idx;
