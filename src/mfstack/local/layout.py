"""Where the local stack keeps its files: one data dir holds everything it needs to come back.

<data-dir>/
  state.json        ports, API key and start time of the running stack (0600)
  api-key           the metadata service's API key, kept across restarts (0600)
  metadata.db       the metadata service's SQLite database (runs, steps, tasks, artifacts)
  s3/               every S3 object of the emulator, one file per object (survives crashes)
  run/<part>.pid    pid files of the background processes
  logs/<part>.log   their output
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from mfstack.errors import LocalStackError

PARTS: tuple[str, ...] = ("emulator", "service")


def default_data_dir() -> Path:
    """The user's data dir for the local stack (beside, never inside, the service's own files)."""
    return Path(platformdirs.user_data_dir("mfstack")) / "local"


@dataclass(frozen=True)
class DataDir:
    """The files of one local stack."""

    root: Path

    @classmethod
    def at(cls, path: Path | None) -> DataDir:
        """The data dir at `path` (default: the user's data dir), as an absolute path."""
        return cls((path or default_data_dir()).expanduser().resolve())

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def api_key_file(self) -> Path:
        return self.root / "api-key"

    @property
    def database(self) -> Path:
        return self.root / "metadata.db"

    @property
    def s3_dir(self) -> Path:
        return self.root / "s3"

    @property
    def batch_marker(self) -> Path:
        """Written by the emulator once the Batch queue exists (or could not be made)."""
        return self.root / "run" / "batch.json"

    def pid_file(self, part: str) -> Path:
        return self.root / "run" / f"{part}.pid"

    def log_file(self, part: str) -> Path:
        return self.root / "logs" / f"{part}.log"

    def create(self) -> None:
        """Create the folders (private to the user); a path that is a file is a clear error."""
        if self.root.exists() and not self.root.is_dir():
            raise LocalStackError(f"The data dir {self.root} exists and is not a folder.", hint="Pass --data-dir DIR.")
        try:
            for sub in (self.root, self.root / "run", self.root / "logs", self.s3_dir):
                sub.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise LocalStackError(f"The data dir {self.root} cannot be created ({exc.strerror}).") from exc

    def api_key(self) -> str:
        """The API key of this stack's metadata service: generated once, then kept."""
        if self.api_key_file.exists():
            key = self.api_key_file.read_text().strip()
            if key:
                return key
        key = secrets.token_urlsafe(32)
        write_private(self.api_key_file, key + "\n")
        return key


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, readable by the user only."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)
