-- +goose Up
-- Heartbeats: seconds since the epoch of the last beat of a run or a task.
ALTER TABLE runs_v3 ADD COLUMN IF NOT EXISTS last_heartbeat_ts BIGINT;
ALTER TABLE tasks_v3 ADD COLUMN IF NOT EXISTS last_heartbeat_ts BIGINT;

-- +goose Down
ALTER TABLE runs_v3 DROP COLUMN IF EXISTS last_heartbeat_ts;
ALTER TABLE tasks_v3 DROP COLUMN IF EXISTS last_heartbeat_ts;
