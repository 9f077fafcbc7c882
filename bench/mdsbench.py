# Load generator for a Metaflow metadata service, copied from the project's shared benchmark
# (shared/bench/mdsbench.py, outside this repository) so figures stay comparable with the
# reference service; only reformatted for the linters. Operations and measurements unchanged.
"""Load test for a Metaflow metadata service (HTTP only, works against any compatible server).
usage: python mdsbench.py URL [--conc 32] [--secs 15] [--only a,b,c,d,e] [--svc-pid PID] [--api-key KEY]
 a: POST .../steps/work/task (register task, client's body)   b: POST task heartbeat, random recently-beaten task (throttled path)
 c: GET /flows/F/runs/R      d: POST .../tasks/T/metadata with 5 rows
 e: POST task heartbeat, each request a distinct task created in (a) >10 s earlier (update path; stops when tasks run out)"""

import argparse
import asyncio
import collections
import json
import os
import random
import time

import aiohttp

SYS_TAGS = ["metaflow_version:2.19.39", "user:bench", "python_version:3.11.7", "runtime:dev"]


def now_ms():
    return int(time.time() * 1000)


def proc_cpu(pid):  # utime+stime seconds of a process (for service CPU %)
    with open(f"/proc/{pid}/stat") as stat:
        f = stat.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


async def phase(name, s, conc, secs, make_req, svc_pid=0, on_resp=None):
    lat, codes, stop = [], collections.Counter(), time.perf_counter() + secs

    async def worker():
        while time.perf_counter() < stop:
            req = make_req()
            if req is None:
                return
            t0 = time.perf_counter()
            async with s.request(req[0], req[1], json=req[2]) as r:
                body = await r.read()
            lat.append(time.perf_counter() - t0)
            codes[r.status] += 1
            if on_resp and r.status == 200:
                on_resp(body)

    c0, t0 = proc_cpu(svc_pid) if svc_pid else 0, time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(conc)])
    el = time.perf_counter() - t0
    lat.sort()

    def q(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

    res = dict(
        test=name,
        secs=round(el, 1),
        n=len(lat),
        rps=round(len(lat) / el, 1),
        p50_ms=round(q(0.5), 2),
        p99_ms=round(q(0.99), 2),
        max_ms=round(lat[-1] * 1000, 1),
        codes=dict(codes),
        svc_cpu_pct=round(100 * (proc_cpu(svc_pid) - c0) / el, 1) if svc_pid else None,
    )
    if not name.endswith("warmup"):
        print(json.dumps(res), flush=True)
    return res


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--conc", type=int, default=32)
    ap.add_argument("--secs", type=float, default=15)
    ap.add_argument("--only", default="a,b,c,d,e")
    ap.add_argument("--svc-pid", type=int, default=0)
    ap.add_argument("--flow", default=f"BenchFlow{os.getpid()}")
    ap.add_argument("--api-key", default=os.environ.get("METAFLOW_SERVICE_AUTH_KEY"))
    a = ap.parse_args()
    U, F = a.url.rstrip("/"), a.flow
    hdrs = {"x-api-key": a.api_key} if a.api_key else {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=a.conc), headers=hdrs) as s:

        async def post(path, body):
            async with s.post(U + path, json=body) as r:  # service answers JSON as text/plain
                assert r.status < 300, (path, r.status, await r.text())
                return json.loads(await r.text())

        await post(f"/flows/{F}", {"flow_id": F, "ts_epoch": now_ms()})
        run = (
            await post(
                f"/flows/{F}/run",
                {"flow_id": F, "user_name": "bench", "tags": [], "system_tags": SYS_TAGS, "ts_epoch": now_ms()},
            )
        )["run_number"]
        step_body = {
            "run_number": str(run),
            "step_name": "work",
            "flow_id": F,
            "user_name": "bench",
            "tags": [],
            "system_tags": SYS_TAGS,
        }
        await post(f"/flows/{F}/runs/{run}/steps/work/step", dict(step_body, ts_epoch=now_ms()))
        seed = [
            (await post(f"/flows/{F}/runs/{run}/steps/work/task", dict(step_body, ts_epoch=now_ms())))["task_id"]
            for _ in range(200)
        ]
        created, base = [], f"{U}/flows/{F}/runs/{run}/steps/work"
        fresh = iter(created)
        reqs = {
            "a_register_task": (
                lambda: ("POST", base + "/task", dict(step_body, ts_epoch=now_ms())),
                lambda b: created.append(json.loads(b)["task_id"]),
            ),
            "b_task_heartbeat_throttled": (lambda: ("POST", f"{base}/tasks/{random.choice(seed)}/heartbeat", {}), None),
            "c_get_run": (lambda: ("GET", f"{U}/flows/{F}/runs/{run}", None), None),
            "d_post_metadata_x5": (
                lambda: (
                    "POST",
                    f"{base}/tasks/{random.choice(seed)}/metadata",
                    [
                        {
                            "flow_id": F,
                            "run_number": str(run),
                            "step_name": "work",
                            "task_id": random.choice(seed),
                            "field_name": f"f{i}",
                            "type": f"f{i}",
                            "value": "v",
                            "tags": ["attempt_id:0"],
                            "user_name": "bench",
                            "ts_epoch": now_ms(),
                        }
                        for i in range(5)
                    ],
                ),
                None,
            ),
            "e_task_heartbeat_update": (
                lambda: (lambda t: t and ("POST", f"{base}/tasks/{t}/heartbeat", {}))(next(fresh, None)),
                None,
            ),
        }
        print(json.dumps({"url": U, "flow": F, "run": run, "conc": a.conc, "secs": a.secs}))
        t_a_end = time.time()  # end of the registration phase (e waits for its tasks to age)
        for key in a.only.split(","):
            name = next(k for k in reqs if k.startswith(key))
            mk, cb = reqs[name]
            if key == "e":
                fresh = iter(list(created))
                await asyncio.sleep(max(0, 11 - (time.time() - t_a_end)))
            else:
                await phase(name + "_warmup", s, a.conc, 1.0, mk, 0, cb)
            await phase(name, s, a.conc, a.secs, mk, a.svc_pid, cb)
            if key == "a":
                t_a_end = time.time()


asyncio.run(main())
