-- +goose Up
-- Runs across flows by time.
CREATE INDEX IF NOT EXISTS mfstack_runs_ts_idx ON runs_v3 (ts_epoch);

-- +goose Down
DROP INDEX IF EXISTS mfstack_runs_ts_idx;
