-- +goose Up
-- Steps of a run by time.
CREATE INDEX IF NOT EXISTS mfstack_steps_ts_idx ON steps_v3 (flow_id, run_number, ts_epoch);

-- +goose Down
DROP INDEX IF EXISTS mfstack_steps_ts_idx;
