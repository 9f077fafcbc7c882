"""Read a finished FanFlow/ParamFlow back with the Metaflow client API and mutate run tags.

Run in a subprocess whose environment points Metaflow at the service; prints one JSON object.
usage: python read_back.py FAN_RUN_ID PARAM_RUN_ID RESUMED_RUN_ID
"""

import json
import sys

from metaflow import Flow, Metaflow, Run, namespace
from metaflow.exception import MetaflowTaggingError

namespace(None)
fan_id, param_id, resumed_id = sys.argv[1:4]
out = {}
out["flows"] = sorted(f.id for f in Metaflow().flows)
fan = Run(f"FanFlow/{fan_id}")
out["successful"] = fan.successful
out["finished"] = fan.finished_at is not None
out["total"] = fan.data.total
out["steps"] = sorted(s.id for s in fan.steps())
out["work_tasks"] = len(list(fan["work"].tasks()))
out["squares"] = sorted(t.data.square for t in fan["work"].tasks())
task = next(iter(fan["work"].tasks()))
out["metadata_fields"] = sorted({m.name for m in task.metadata})
out["artifact_names"] = sorted(a.id for a in task.artifacts)
out["attempt"] = task.current_attempt
out["task_successful"] = task.successful
out["task_finished"] = task.finished_at is not None
out["parent_tasks"] = len(list(fan["join"].task.parent_tasks))
out["latest_is_resumed"] = Flow("FanFlow").latest_run.id == resumed_id
resumed = Run(f"FanFlow/{resumed_id}")
out["resumed_successful"] = resumed.successful
out["resumed_total"] = resumed.data.total
param = Run(f"ParamFlow/{param_id}")
out["param"] = [param.data.alpha, param.data.label, param.data.product]
fan.add_tag("t1")
fan.add_tags(["t2", "t3"])
fan.remove_tag("t2")
fan.replace_tag("t3", "t4")
out["user_tags"] = sorted(Run(f"FanFlow/{fan_id}").user_tags)
out["task_sees_run_tags"] = "t4" in Run(f"FanFlow/{fan_id}")["end"].task.tags
system_tag = sorted(fan.system_tags)[0]
try:
    fan.remove_tag(system_tag)
    out["system_tag_removal"] = "allowed"
except MetaflowTaggingError as exc:
    out["system_tag_removal"] = "refused"
    out["system_tag_message"] = str(exc)[:200]
out["tagged_runs"] = [r.id for r in Flow("FanFlow").runs("t4")]
print("RESULT " + json.dumps(out))
