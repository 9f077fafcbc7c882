-- +goose Up
-- Runs of a flow newest first.
CREATE INDEX IF NOT EXISTS mfstack_runs_number_idx ON runs_v3 (flow_id, run_number DESC);

-- +goose Down
DROP INDEX IF EXISTS mfstack_runs_number_idx;
