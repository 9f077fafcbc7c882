"""Metaflow profiles: where Metaflow reads them, and writing one safely.

Metaflow reads `$METAFLOW_HOME/config.json` (or `~/.metaflowconfig/config.json`) and, when
`METAFLOW_PROFILE=NAME` is set, `config_NAME.json` in the same folder. A profile holds the API
key, so it is written with mode 0600, atomically, never over an existing one unless forced (and
then the old one is kept as a backup).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mfstack.errors import MfstackError

DEFAULT_HOME = Path("~/.metaflowconfig")


@dataclass(frozen=True)
class ProfileWrite:
    """What writing a profile did."""

    path: Path
    backup: Path | None
    replaced: bool


def metaflow_home(home: Path | None = None) -> Path:
    """The folder Metaflow reads profiles from: `home`, else `$METAFLOW_HOME`, else the default."""
    if home is not None:
        return home.expanduser()
    env = os.environ.get("METAFLOW_HOME")
    return Path(env).expanduser() if env else DEFAULT_HOME.expanduser()


def profile_path(name: str | None = None, home: Path | None = None) -> Path:
    """`config.json` for the default profile, `config_NAME.json` for a named one."""
    if name is not None and (not name or "/" in name or name.startswith(".")):
        raise MfstackError(f"'{name}' is not a usable Metaflow profile name: use letters, digits, '-' or '_'.")
    filename = "config.json" if not name else f"config_{name}.json"
    return metaflow_home(home) / filename


def read_metaflow_profile(name: str | None = None, home: Path | None = None) -> dict[str, str] | None:
    """The settings of an existing profile, or None when there is none."""
    path = profile_path(name, home)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise MfstackError(f"The Metaflow profile {path} cannot be read as JSON ({exc}).") from exc
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None


def write_metaflow_profile(
    settings: Mapping[str, str], name: str | None = None, home: Path | None = None, force: bool = False
) -> ProfileWrite:
    """Write `settings` as a Metaflow profile (0600, atomic); refuse to overwrite unless `force`."""
    path = profile_path(name, home)
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    if existed and not force:
        raise MfstackError(
            f"A Metaflow profile already exists at {path} and was left as it is.",
            hint="Pass --force to replace it (the current file is kept as a backup beside it).",
        )
    backup = _backup(path) if existed else None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(dict(sorted(settings.items())), fh, indent=4)
        fh.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return ProfileWrite(path=path, backup=backup, replaced=existed)


def _backup(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.{stamp}.bak")
    n = 1
    while backup.exists():
        backup = path.with_name(f"{path.name}.{stamp}-{n}.bak")
        n += 1
    fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(path.read_bytes())
    return backup
