-- +goose Up
-- Flows by time.
CREATE INDEX IF NOT EXISTS mfstack_flows_ts_idx ON flows_v3 (ts_epoch);

-- +goose Down
DROP INDEX IF EXISTS mfstack_flows_ts_idx;
