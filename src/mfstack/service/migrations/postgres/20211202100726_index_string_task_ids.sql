-- +goose Up
-- Tasks named by user-given run and task ids.
CREATE INDEX IF NOT EXISTS mfstack_tasks_str_id_idx ON tasks_v3 (flow_id, run_id, step_name, task_name);

-- +goose Down
DROP INDEX IF EXISTS mfstack_tasks_str_id_idx;
