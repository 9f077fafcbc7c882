"""Shared helpers for the metadata service tests: run the real service as a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

API_KEY = "test-key-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Service:
    """A running `mfstack service` subprocess."""

    proc: subprocess.Popen[bytes]
    url: str
    api_key: str | None
    log: Path

    def client(self, key: str | None = "") -> httpx.Client:
        headers = {"x-api-key": self.api_key if key == "" else key} if (self.api_key and key is not None) else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def start(
    db: str,
    tmp: Path,
    api_keys: Sequence[str] = (API_KEY,),
    extra: Sequence[str] = (),
    command: Sequence[str] = ("mfstack.service",),
) -> Service:
    """Start the service (by default `python -m mfstack.service`, the image's entry point)."""
    port = free_port()
    cmd = [sys.executable, "-m", *command, "--db", db, "--host", "127.0.0.1", "--port", str(port)]
    for key in api_keys:
        cmd += ["--api-key", key]
    log = tmp / f"service-{port}.log"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log, "wb") as out:
        proc = subprocess.Popen([*cmd, *extra], stdout=out, stderr=subprocess.STDOUT, env=env)
    service = Service(proc, f"http://127.0.0.1:{port}", api_keys[0] if api_keys else None, log)
    wait_ready(service)
    return service


def wait_ready(service: Service, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    headers = {"x-api-key": service.api_key} if service.api_key else {}
    while time.monotonic() < deadline:
        if service.proc.poll() is not None:
            raise RuntimeError(f"service exited with {service.proc.returncode}: {service.log.read_text()}")
        try:
            if httpx.get(service.url + "/ping", headers=headers, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"service not ready in {timeout}s: {service.log.read_text()}")


def stop(service: Service, sig: int = signal.SIGTERM) -> int:
    if service.proc.poll() is None:
        service.proc.send_signal(sig)
    try:
        return service.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        service.proc.kill()
        return service.proc.wait(timeout=10)


@contextmanager
def running(db: str, tmp: Path, api_keys: Sequence[str] = (API_KEY,), extra: Sequence[str] = ()) -> Iterator[Service]:
    service = start(db, tmp, api_keys, extra)
    try:
        yield service
    finally:
        stop(service)


CREATED_DATABASES: list[tuple[str, str]] = []
"""(server DSN, database name) of every database the tests created; dropped at session end."""


def fresh_pg_database(dsn: str, prefix: str) -> str:
    """Create an empty database on the server of `dsn`; returns its DSN (dropped at session end)."""
    import asyncio
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    CREATED_DATABASES.append((dsn, name))
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_created_databases() -> None:
    import asyncio

    import asyncpg

    async def drop() -> None:
        while CREATED_DATABASES:
            server, name = CREATED_DATABASES.pop()
            try:
                conn = await asyncpg.connect(server)
            except (OSError, asyncpg.PostgresError):
                continue  # the session's own server is already stopped: its databases went with it
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

    asyncio.run(drop())


def metaflow_env(service: Service, home: Path) -> dict[str, str]:
    """Environment for a real Metaflow process talking to `service` (local datastore under `home`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("METAFLOW_")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        METAFLOW_SERVICE_URL=service.url,
        METAFLOW_SERVICE_AUTH_KEY=service.api_key or "",
        METAFLOW_DEFAULT_METADATA="service",
        METAFLOW_DEFAULT_DATASTORE="local",
        METAFLOW_DATASTORE_SYSROOT_LOCAL=str(home / "datastore"),
        METAFLOW_HOME=str(home / "config"),
        USERNAME="tester",
        PYTHONUNBUFFERED="1",
    )
    return env
