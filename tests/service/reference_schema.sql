-- A database as the reference metadata service leaves it after all of its migrations, written
-- for this test from the table list in the service contract (column order as listed there).
CREATE TABLE goose_db_version (id SERIAL PRIMARY KEY, version_id BIGINT NOT NULL, is_applied BOOLEAN NOT NULL, tstamp TIMESTAMP DEFAULT now());
INSERT INTO goose_db_version (version_id, is_applied) VALUES
  (0, true), (1, true), (20200603104139, true), (20201002000616, true), (20210202145952, true), (20210260056859, true),
  (20211202100726, true), (20220503175500, true), (20230118020300, true), (20260615000000, true), (20260706000000, true),
  (20260706000001, true), (20260706000002, true), (20260706000003, true);

CREATE TABLE flows_v3 (flow_id VARCHAR(255) PRIMARY KEY, user_name VARCHAR(255), ts_epoch BIGINT NOT NULL, tags JSONB, system_tags JSONB);
CREATE TABLE runs_v3 (
  flow_id VARCHAR(255) NOT NULL REFERENCES flows_v3 (flow_id), run_number SERIAL, user_name VARCHAR(255), ts_epoch BIGINT NOT NULL,
  tags JSONB, system_tags JSONB, run_id VARCHAR(255), last_heartbeat_ts BIGINT,
  PRIMARY KEY (flow_id, run_number), UNIQUE (flow_id, run_id));
CREATE TABLE steps_v3 (
  flow_id VARCHAR(255) NOT NULL, run_number BIGINT NOT NULL, step_name VARCHAR(255) NOT NULL, user_name VARCHAR(255),
  ts_epoch BIGINT NOT NULL, tags JSONB, system_tags JSONB, run_id VARCHAR(255),
  PRIMARY KEY (flow_id, run_number, step_name), UNIQUE (flow_id, run_id, step_name),
  FOREIGN KEY (flow_id, run_number) REFERENCES runs_v3 (flow_id, run_number));
CREATE TABLE tasks_v3 (
  flow_id VARCHAR(255) NOT NULL, run_number BIGINT NOT NULL, step_name VARCHAR(255) NOT NULL, task_id BIGSERIAL PRIMARY KEY,
  user_name VARCHAR(255), ts_epoch BIGINT NOT NULL, tags JSONB, system_tags JSONB, run_id VARCHAR(255), task_name VARCHAR(255),
  last_heartbeat_ts BIGINT, UNIQUE (flow_id, run_number, step_name, task_name),
  FOREIGN KEY (flow_id, run_number, step_name) REFERENCES steps_v3 (flow_id, run_number, step_name));
CREATE TABLE metadata_v3 (
  flow_id VARCHAR(255), run_number BIGINT NOT NULL, step_name VARCHAR(255) NOT NULL, task_id BIGINT NOT NULL, id BIGSERIAL,
  field_name VARCHAR(255) NOT NULL, value TEXT NOT NULL, type VARCHAR(255) NOT NULL, user_name VARCHAR(255), ts_epoch BIGINT NOT NULL,
  tags JSONB, system_tags JSONB, run_id VARCHAR(255), task_name VARCHAR(255),
  PRIMARY KEY (id, flow_id, run_number, step_name, task_id, field_name));
CREATE TABLE artifact_v3 (
  flow_id VARCHAR(255) NOT NULL, run_number BIGINT NOT NULL, step_name VARCHAR(255) NOT NULL, task_id BIGINT NOT NULL,
  name VARCHAR(255) NOT NULL, location VARCHAR(255) NOT NULL, ds_type VARCHAR(255) NOT NULL, sha VARCHAR(255), type VARCHAR(255),
  content_type VARCHAR(255), user_name VARCHAR(255), attempt_id SMALLINT NOT NULL, ts_epoch BIGINT NOT NULL, tags JSONB,
  system_tags JSONB, run_id VARCHAR(255), task_name VARCHAR(255),
  PRIMARY KEY (flow_id, run_number, step_name, task_id, attempt_id, name));

-- Rows as the reference writes them: flows without tags, a numbered run and a run with a user-given id.
INSERT INTO flows_v3 VALUES ('RefFlow', NULL, 1700000000000, NULL, NULL);
INSERT INTO runs_v3 (flow_id, user_name, ts_epoch, tags, system_tags, run_id, last_heartbeat_ts)
  VALUES ('RefFlow', 'alice', 1700000000100, '["old"]', '["user:alice", "runtime:dev"]', NULL, 1700000000);
INSERT INTO runs_v3 (flow_id, user_name, ts_epoch, tags, system_tags, run_id, last_heartbeat_ts)
  VALUES ('RefFlow', 'alice', 1700000000200, '[]', '["user:alice"]', 'sfn-abc', 1700000000);
INSERT INTO steps_v3 VALUES ('RefFlow', 1, 'start', 'alice', 1700000000300, '["old"]', '["user:alice", "runtime:dev"]', NULL);
INSERT INTO steps_v3 VALUES ('RefFlow', 2, 'start', 'alice', 1700000000300, '[]', '["user:alice"]', 'sfn-abc');
INSERT INTO tasks_v3 (flow_id, run_number, step_name, user_name, ts_epoch, tags, system_tags, run_id, task_name, last_heartbeat_ts)
  VALUES ('RefFlow', 1, 'start', 'alice', 1700000000400, '["old"]', '["user:alice"]', NULL, NULL, 1700000000);
INSERT INTO tasks_v3 (flow_id, run_number, step_name, user_name, ts_epoch, tags, system_tags, run_id, task_name, last_heartbeat_ts)
  VALUES ('RefFlow', 2, 'start', 'alice', 1700000000400, '[]', '["user:alice"]', 'sfn-abc', 't-1', 1700000000);
INSERT INTO metadata_v3 (flow_id, run_number, step_name, task_id, field_name, value, type, user_name, ts_epoch, tags, system_tags)
  VALUES ('RefFlow', 1, 'start', 1, 'attempt', '0', 'attempt', 'alice', 1700000000500, '["attempt_id:0"]', NULL);
INSERT INTO artifact_v3 VALUES ('RefFlow', 1, 'start', 1, 'x', '/ds', 'local', 'abc', 'metaflow.artifact', 'pickle-v4', 'alice', 0,
  1700000000600, '["old"]', '["user:alice"]', NULL, NULL);
INSERT INTO artifact_v3 VALUES ('RefFlow', 2, 'start', 2, 'x', '/ds', 'local', 'def', 'metaflow.artifact', 'pickle-v4', 'alice', 0,
  1700000000600, '[]', '["user:alice"]', 'sfn-abc', 't-1');
