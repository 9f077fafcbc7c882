"""The recorded state of a running local stack (`state.json`) and what its parts are."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from mfstack.local.layout import DataDir, write_private
from mfstack.local.supervisor import PartSpec

DEFAULT_PORT_BASE = 47310
PORT_FLAG = "--port-base"
HOST = "127.0.0.1"
SERVICE_VERSION_HEADER = "METADATA_SERVICE_VERSION"


@dataclass(frozen=True)
class StackState:
    """Where a started stack listens and which profile points at it."""

    port_base: int
    profile: str
    profile_path: str
    metaflow_home: str
    started_at: float

    @property
    def emulator_url(self) -> str:
        return f"http://{HOST}:{self.port_base}"

    @property
    def service_url(self) -> str:
        return f"http://{HOST}:{self.port_base + 1}"

    def save(self, data_dir: DataDir) -> None:
        write_private(data_dir.state_file, json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, data_dir: DataDir) -> StackState | None:
        """The recorded state, or None when there is none (or it cannot be read)."""
        try:
            raw = json.loads(data_dir.state_file.read_text())
            return cls(
                port_base=int(raw["port_base"]),
                profile=str(raw["profile"]),
                profile_path=str(raw["profile_path"]),
                metaflow_home=str(raw["metaflow_home"]),
                started_at=float(raw["started_at"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


def part_specs(data_dir: DataDir, port_base: int, api_key: str) -> list[PartSpec]:
    """The emulator (port N) and the metadata service (port N+1) of the stack in `data_dir`."""
    emulator_url = f"http://{HOST}:{port_base}"
    service_url = f"http://{HOST}:{port_base + 1}"
    emulator = PartSpec(
        name="emulator",
        description="AWS emulator",
        argv=[
            sys.executable,
            "-m",
            "mfstack.local.emulator",
            "--host",
            HOST,
            "--port",
            str(port_base),
            "--s3-dir",
            str(data_dir.s3_dir),
            "--data-dir",
            str(data_dir.root),
        ],
        port=port_base,
        health_url=f"{emulator_url}/moto-api/",
        url=emulator_url,
    )
    service = PartSpec(
        name="service",
        description="metadata service",
        argv=[
            sys.executable,
            "-m",
            "mfstack",
            "service",
            "--db",
            f"sqlite:///{data_dir.database}",
            "--host",
            HOST,
            "--port",
            str(port_base + 1),
            "--api-key",
            api_key,
        ],
        port=port_base + 1,
        health_url=f"{service_url}/ping",
        url=service_url,
        health_header=SERVICE_VERSION_HEADER,
        health_headers=(("x-api-key", api_key),),
    )
    return [emulator, service]


def profile_home(path: Path) -> Path:
    """The METAFLOW_HOME folder a profile file lives in."""
    return path.parent
