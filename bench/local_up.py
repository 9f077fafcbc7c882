"""How long `mfstack up` takes to have every part answering (target: under 3 s on the dev machine).

    python bench/local_up.py [--rounds 3]

Each round runs the real CLI in a fresh data dir (cold: nothing to restore) and then again on the
same data dir after `down` (warm: S3 objects and metadata come back), and reports the wall time of
the `mfstack up` process (CLI start to exit) and the ready time `up` reports (processes started to
every part answering and the resources created). The machine's load average is printed with the
figures: on a shared machine, compare rounds run under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port_pair() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port < 65000:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + 1))
                    return port
                except OSError:
                    continue


def mfstack(env: dict[str, str], *args: str) -> tuple[float, str]:
    began = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "mfstack", *args], env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - began
    if out.returncode != 0:
        raise SystemExit(f"mfstack {' '.join(args)} failed:\n{out.stdout}{out.stderr}")
    return elapsed, out.stdout


def one_up(env: dict[str, str], data_dir: Path, port: int) -> dict[str, float]:
    up = ["--debug", "up", "--data-dir", str(data_dir), "--port-base", str(port), "--metaflow-profile", data_dir.name]
    wall, text = mfstack(env, *up)
    ready = re.search(r"ready in ([0-9.]+) s", text)
    mfstack(env, "down", "--data-dir", str(data_dir))
    return {"wall_s": round(wall, 2), "ready_s": float(ready.group(1)) if ready else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "METAFLOW_"))}
        env["METAFLOW_HOME"] = str(Path(tmp) / "home")
        for n in range(args.rounds):
            data_dir, port = Path(tmp) / f"stack{n}", free_port_pair()
            results["cold"].append(one_up(env, data_dir, port))
            results["warm"].append(one_up(env, data_dir, port))
    for kind, rows in results.items():
        summary = {key: round(statistics.median(r[key] for r in rows), 2) for key in ("wall_s", "ready_s")}
        print(json.dumps({"case": kind, "rounds": rows, "median": summary, "loadavg": os.getloadavg()}))


if __name__ == "__main__":
    main()
