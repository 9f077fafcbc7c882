"""Column lists shared by both stores' SELECTs, and the functions turning a result row into JSON.

Both stores select the same columns in the same order, so one row builder serves both.
Steps, tasks and artifacts are joined with their run (`r`) to carry the run's tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mfstack.service.store.base import Row, exposed, tag_list

FLOW_COLS = "f.flow_id, f.user_name, f.ts_epoch, f.tags, f.system_tags"
RUN_COLS = "r.flow_id, r.run_number, r.run_id, r.user_name, r.ts_epoch, r.tags, r.system_tags, r.last_heartbeat_ts"
STEP_COLS = "s.flow_id, s.run_number, s.run_id, s.step_name, s.user_name, s.ts_epoch, r.tags, r.system_tags"
TASK_COLS = (
    "t.flow_id, t.run_number, t.run_id, t.step_name, t.task_id, t.task_name, t.user_name, t.ts_epoch, "
    "r.tags, r.system_tags, t.last_heartbeat_ts"
)
META_COLS = (
    "m.id, m.flow_id, m.run_number, m.run_id, m.step_name, m.task_id, m.task_name, m.field_name, m.value, "
    "m.type, m.user_name, m.ts_epoch, m.tags, m.system_tags"
)
ART_COLS = (
    "a.flow_id, a.run_number, a.run_id, a.step_name, a.task_id, a.task_name, a.name, a.location, a.ds_type, "
    "a.sha, a.type, a.content_type, a.user_name, a.attempt_id, a.ts_epoch, r.tags, r.system_tags"
)

Rec = Sequence[Any]


def flow_row(r: Rec) -> Row:
    return {"flow_id": r[0], "user_name": r[1], "ts_epoch": r[2], "tags": tag_list(r[3]), "system_tags": tag_list(r[4])}


def run_row(r: Rec) -> Row:
    return {
        "flow_id": r[0],
        "run_number": exposed(r[1], r[2]),
        "user_name": r[3],
        "ts_epoch": r[4],
        "tags": tag_list(r[5]),
        "system_tags": tag_list(r[6]),
        "last_heartbeat_ts": r[7],
    }


def step_row(r: Rec) -> Row:
    return {
        "flow_id": r[0],
        "run_number": exposed(r[1], r[2]),
        "step_name": r[3],
        "user_name": r[4],
        "ts_epoch": r[5],
        "tags": tag_list(r[6]),
        "system_tags": tag_list(r[7]),
    }


def task_row(r: Rec) -> Row:
    return {
        "flow_id": r[0],
        "run_number": exposed(r[1], r[2]),
        "step_name": r[3],
        "task_id": exposed(r[4], r[5]),
        "user_name": r[6],
        "ts_epoch": r[7],
        "tags": tag_list(r[8]),
        "system_tags": tag_list(r[9]),
        "last_heartbeat_ts": r[10],
    }


def meta_row(r: Rec) -> Row:
    return {
        "id": r[0],
        "flow_id": r[1],
        "run_number": exposed(r[2], r[3]),
        "step_name": r[4],
        "task_id": exposed(r[5], r[6]),
        "field_name": r[7],
        "value": r[8],
        "type": r[9],
        "user_name": r[10],
        "ts_epoch": r[11],
        "tags": tag_list(r[12]),
        "system_tags": tag_list(r[13]),
    }


def artifact_row(r: Rec) -> Row:
    return {
        "flow_id": r[0],
        "run_number": exposed(r[1], r[2]),
        "step_name": r[3],
        "task_id": exposed(r[4], r[5]),
        "name": r[6],
        "location": r[7],
        "ds_type": r[8],
        "sha": r[9],
        "type": r[10],
        "content_type": r[11],
        "user_name": r[12],
        "attempt_id": r[13],
        "ts_epoch": r[14],
        "tags": tag_list(r[15]),
        "system_tags": tag_list(r[16]),
    }
