"""Benchmark the metadata service on SQLite and on a real PostgreSQL with the shared operations.

Starts the service for each store with its default settings (access log on, written to
/dev/null; `--no-access-log` to compare), drives it with `bench/mdsbench.py` (register task, throttled
heartbeat, get run, 5 metadata rows, updating heartbeat), prints every figure with the service's
CPU share, and compares with the reference service's figures measured on the same kind of machine.

usage: python bench/mds_bench.py [--secs 15] [--conc 32] [--stores sqlite,postgres]
                                 [--pg-dsn postgresql://user@host:port/db | (default) start one]
A PostgreSQL DSN names a server where the benchmark may create a fresh database; without it,
`scripts/pg-start` starts a throwaway PostgreSQL 15 for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"
# Reference service on PostgreSQL 15, same machine class: requests/s (issue 4).
REFERENCE_RPS = {"a_register_task": 1000, "e_task_heartbeat_update": 1700, "c_get_run": 2500, "d_post_metadata_x5": 500}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database(server_dsn: str) -> str:
    import asyncpg

    name = f"mdsbench_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        conn = await asyncpg.connect(server_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return urlunsplit(urlsplit(server_dsn)._replace(path=f"/{name}"))


def drop_database(server_dsn: str, dsn: str) -> None:
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(server_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(dsn).path.lstrip("/")}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"service exited with {proc.returncode}")
        try:
            req = urllib.request.Request(url + "/ping", headers={"x-api-key": KEY})
            with urllib.request.urlopen(req, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("service not ready after 30 s")


def postgres_cpu_seconds() -> float:
    """CPU seconds used so far by every PostgreSQL server process on this machine."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, fields = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1].split()
        if name == "postgres":
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / tick, sum(values) / tick


def run_store(store: str, db: str, args: argparse.Namespace) -> list[dict[str, object]]:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "mfstack",
        "service",
        "--db",
        db,
        "--port",
        str(port),
        "--api-key",
        KEY,
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        load = [
            sys.executable,
            str(ROOT / "bench" / "mdsbench.py"),
            url,
            "--secs",
            str(args.secs),
            "--conc",
            str(args.conc),
        ]
        load += ["--svc-pid", str(proc.pid), "--api-key", KEY, "--only", args.only]
        pg0, (busy0, all0), kids0 = postgres_cpu_seconds(), busy_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.monotonic()
        out = subprocess.run(load, capture_output=True, text=True, timeout=args.secs * 12 + 120, check=True)
        elapsed, kids = time.monotonic() - began, resource.getrusage(resource.RUSAGE_CHILDREN)
        busy1, all1 = busy_seconds()
        usage = {
            "store": store,
            "machine_busy_pct": round(100 * (busy1 - busy0) / (all1 - all0), 1),
            "loadgen_cpu_pct": round(
                100 * (kids.ru_utime + kids.ru_stime - kids0.ru_utime - kids0.ru_stime) / elapsed, 1
            ),
            "postgres_cpu_pct": round(100 * (postgres_cpu_seconds() - pg0) / elapsed, 1),
        }
        rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        return [dict(r, store=store) for r in rows if "test" in r] + [usage]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def report(results: list[dict[str, object]], load_before: float) -> None:
    print(
        f"\nload average before the run: {load_before:.2f}, after: {os.getloadavg()[0]:.2f} (service, database and load generator share this machine)"
    )
    print(f"{'store':9} {'operation':28} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'svc cpu%':>8} {'vs ref':>7}  codes")
    for r in results:
        if "test" not in r:
            print(f"{r['store']!s:9} whole run (all phases, incl. warmups and the 11 s wait): {r}")
            continue
        ref = REFERENCE_RPS.get(str(r["test"]))
        ratio = f"{float(r['rps']) / ref:.1f}x" if ref else "-"  # type: ignore[arg-type]
        print(
            f"{r['store']!s:9} {r['test']!s:28} {r['rps']!s:>8} {r['p50_ms']!s:>8} {r['p99_ms']!s:>8} {r['svc_cpu_pct']!s:>8} {ratio:>7}  {r['codes']}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--secs", type=float, default=15)
    ap.add_argument("--conc", type=int, default=32)
    ap.add_argument("--only", default="a,b,c,d,e")
    ap.add_argument("--stores", default="sqlite,postgres")
    ap.add_argument("--no-access-log", action="store_true", help="run the service without its access log")
    ap.add_argument("--pg-dsn", default=os.environ.get("MFSTACK_TEST_PG_DSN"))
    args = ap.parse_args()
    results: list[dict[str, object]] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="mdsbench-") as tmp:
        pg_started = False
        for store in args.stores.split(","):
            if store == "sqlite":
                results += run_store(store, f"sqlite:///{tmp}/bench.db", args)
            elif store == "postgres":
                if not args.pg_dsn:
                    started = subprocess.run(
                        [str(ROOT / "scripts" / "pg-start"), f"{tmp}/pg"], check=True, capture_output=True, text=True
                    )
                    args.pg_dsn, pg_started = started.stdout.strip().splitlines()[-1], True
                db = fresh_database(args.pg_dsn)
                try:
                    results += run_store(store, db, args)
                finally:
                    drop_database(args.pg_dsn, db)
        if pg_started:
            subprocess.run([str(ROOT / "scripts" / "pg-stop"), f"{tmp}/pg"], check=False, capture_output=True)
    for r in results:
        print(json.dumps(r))
    report(results, load_before)


if __name__ == "__main__":
    main()
