-- +goose Up
-- Runs by the user who started them.
CREATE INDEX IF NOT EXISTS mfstack_runs_user_idx ON runs_v3 (flow_id, user_name);

-- +goose Down
DROP INDEX IF EXISTS mfstack_runs_user_idx;
