"""A start -> foreach(20) -> join -> end flow through the local stack vs Metaflow's plain local mode.

    python bench/local_foreach.py [--rounds 2] [--width 20]

Side by side, alternating, on the same machine: `mfstack run -- python examples/fanout.py run`
(`--datastore=s3 --metadata=service` from the local profile: S3 API of the emulator, metadata
service behind its API key) and `python examples/fanout.py --datastore=local --metadata=local run`.
Prints the wall time of each run, the medians and their ratio (target: at most 1.3).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from local_up import free_port_pair

FLOW = Path(__file__).resolve().parents[1] / "examples" / "fanout.py"


def timed(argv: list[str], env: dict[str, str], cwd: str) -> float:
    began = time.perf_counter()
    out = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--width", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "METAFLOW_"))}
        env.update(METAFLOW_HOME=str(Path(tmp) / "home"), METAFLOW_USER="bench")
        data_dir = str(Path(tmp) / "stack")
        mfstack = [sys.executable, "-m", "mfstack"]
        up = [*mfstack, "up", "--data-dir", data_dir, "--port-base", str(free_port_pair())]
        subprocess.run(up, env=env, check=True, capture_output=True, timeout=120)
        try:
            stack, local = [], []
            run = [*mfstack, "run", "--data-dir", data_dir, "--", sys.executable, str(FLOW)]
            plain = [sys.executable, str(FLOW), "--datastore=local", "--metadata=local"]
            for _ in range(args.rounds):
                stack.append(round(timed([*run, "run", "--width", str(args.width)], env, tmp), 2))
                local.append(round(timed([*plain, "run", "--width", str(args.width)], env, tmp), 2))
        finally:
            subprocess.run([*mfstack, "down", "--data-dir", data_dir], env=env, check=False, capture_output=True)
    ratio = statistics.median(stack) / statistics.median(local)
    print(
        json.dumps(
            {
                "width": args.width,
                "local_stack_s": stack,
                "plain_local_s": local,
                "ratio": round(ratio, 2),
                "loadavg": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
