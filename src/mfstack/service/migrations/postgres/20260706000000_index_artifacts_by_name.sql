-- +goose Up
-- One artifact by name across attempts.
CREATE INDEX IF NOT EXISTS mfstack_artifact_name_idx ON artifact_v3 (flow_id, run_number, step_name, task_id, name, attempt_id DESC);

-- +goose Down
DROP INDEX IF EXISTS mfstack_artifact_name_idx;
