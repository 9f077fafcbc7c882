-- +goose Up
-- Metadata of one task, newest first (task pages, attempts).
CREATE INDEX IF NOT EXISTS mfstack_metadata_task_idx ON metadata_v3 (flow_id, run_number, step_name, task_id, id DESC);

-- +goose Down
DROP INDEX IF EXISTS mfstack_metadata_task_idx;
