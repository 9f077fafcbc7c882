-- +goose Up
-- Tasks of a step by metadata field (filtered_tasks).
CREATE INDEX IF NOT EXISTS mfstack_metadata_field_idx ON metadata_v3 (flow_id, run_number, step_name, field_name);

-- +goose Down
DROP INDEX IF EXISTS mfstack_metadata_field_idx;
