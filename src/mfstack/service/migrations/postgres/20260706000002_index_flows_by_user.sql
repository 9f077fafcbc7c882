-- +goose Up
-- Flows by the user who created them.
CREATE INDEX IF NOT EXISTS mfstack_flows_user_idx ON flows_v3 (user_name);

-- +goose Down
DROP INDEX IF EXISTS mfstack_flows_user_idx;
