-- The metadata tables, shaped like the reference PostgreSQL schema (same names and columns).
-- Run numbers, task ids and metadata ids are shared by all flows, like the reference sequences.
CREATE TABLE flows_v3 (
    flow_id TEXT PRIMARY KEY,
    user_name TEXT,
    ts_epoch INTEGER NOT NULL,
    tags TEXT,
    system_tags TEXT
);
CREATE TABLE runs_v3 (
    run_number INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL REFERENCES flows_v3 (flow_id),
    user_name TEXT,
    ts_epoch INTEGER NOT NULL,
    tags TEXT,
    system_tags TEXT,
    run_id TEXT,
    last_heartbeat_ts INTEGER,
    UNIQUE (flow_id, run_id)
);
CREATE INDEX runs_v3_flow_ts ON runs_v3 (flow_id, ts_epoch);
CREATE TABLE steps_v3 (
    flow_id TEXT NOT NULL,
    run_number INTEGER NOT NULL REFERENCES runs_v3 (run_number),
    step_name TEXT NOT NULL,
    user_name TEXT,
    ts_epoch INTEGER NOT NULL,
    tags TEXT,
    system_tags TEXT,
    run_id TEXT,
    PRIMARY KEY (flow_id, run_number, step_name)
) WITHOUT ROWID;
CREATE TABLE tasks_v3 (
    task_id INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL,
    run_number INTEGER NOT NULL,
    step_name TEXT NOT NULL,
    user_name TEXT,
    ts_epoch INTEGER NOT NULL,
    tags TEXT,
    system_tags TEXT,
    run_id TEXT,
    task_name TEXT,
    last_heartbeat_ts INTEGER,
    UNIQUE (flow_id, run_number, step_name, task_name),
    FOREIGN KEY (flow_id, run_number, step_name) REFERENCES steps_v3 (flow_id, run_number, step_name)
);
CREATE INDEX tasks_v3_step ON tasks_v3 (flow_id, run_number, step_name);
CREATE TABLE metadata_v3 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL,
    run_number INTEGER NOT NULL,
    step_name TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    field_name TEXT NOT NULL,
    value TEXT NOT NULL,
    type TEXT NOT NULL,
    user_name TEXT,
    ts_epoch INTEGER NOT NULL,
    tags TEXT,
    system_tags TEXT,
    run_id TEXT,
    task_name TEXT
);
CREATE INDEX metadata_v3_task ON metadata_v3 (flow_id, run_number, step_name, task_id);
CREATE TABLE artifact_v3 (
    flow_id TEXT NOT NULL,
    run_number INTEGER NOT NULL,
    step_name TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    location TEXT NOT NULL,
    ds_type TEXT NOT NULL,
    sha TEXT,
    type TEXT,
    content_type TEXT,
    user_name TEXT,
    attempt_id INTEGER NOT NULL,
    ts_epoch INTEGER NOT NULL,
    tags TEXT,
    system_tags TEXT,
    run_id TEXT,
    task_name TEXT,
    PRIMARY KEY (flow_id, run_number, step_name, task_id, attempt_id, name)
) WITHOUT ROWID;
