"""Metaflow profiles: where Metaflow reads them, and writing one safely.

Metaflow reads `$METAFLOW_HOME/config.json` (or `~/.metaflowconfig/config.json`) and, when
`METAFLOW_PROFILE=NAME` is set, `config_NAME.json` in the same folder. A profile holds the API
key, so it is written with mode 0600, atomically, never over an existing one unless forced (and
then the old one is kept as a backup).
"""

from __future__ import annotations

import configparser
import json
import os
import re
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


def metaflow_config(outputs: Mapping[str, str], api_key: str | None = None) -> dict[str, str]:
    """The Metaflow settings of a deployed stack: its outputs, the constants, and the API key value."""
    from mfstack.stack.outputs import AUTH_KEY_SETTING, metaflow_settings

    settings = metaflow_settings(dict(outputs))
    if api_key:
        settings[AUTH_KEY_SETTING] = api_key
    return settings


# --- AWS CLI profiles -------------------------------------------------------------------------

SECTION_RE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*$")


@dataclass(frozen=True)
class AwsProfileWrite:
    """What writing a role-assuming AWS CLI profile did."""

    path: Path
    section: str
    replaced: bool
    backup: Path | None


def aws_config_path() -> Path:
    """The AWS CLI config file: `$AWS_CONFIG_FILE`, else `~/.aws/config`."""
    env = os.environ.get("AWS_CONFIG_FILE")
    return Path(env).expanduser() if env else Path("~/.aws/config").expanduser()


def write_aws_role_profile(
    name: str, role_arn: str, source_profile: str = "default", region: str | None = None, path: Path | None = None
) -> AwsProfileWrite:
    """Add or update `[profile NAME]` (role_arn, source_profile, region); every other line is kept."""
    if not re.fullmatch(r"[A-Za-z0-9_.@+=-]+", name):
        raise MfstackError(f"'{name}' is not a usable AWS profile name: use letters, digits and - _ . @ + =.")
    path = path or aws_config_path()
    section = "default" if name == "default" else f"profile {name}"
    body = [f"role_arn = {role_arn}", f"source_profile = {source_profile}"] + ([f"region = {region}"] if region else [])
    lines = path.read_text().splitlines() if path.exists() else []
    start, end = _find_section(lines, section)
    new_block = [f"[{section}]", *body]
    if start is None:
        merged = [*lines, *([""] if lines and lines[-1].strip() else []), *new_block]
    else:
        merged = [*lines[:start], *new_block, *lines[end:]]
    _check_config(merged, section, role_arn)
    backup = _backup(path) if path.exists() and start is not None else None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(merged) + "\n")
    os.replace(tmp, path)
    return AwsProfileWrite(path, section, start is not None, backup)


def _find_section(lines: list[str], section: str) -> tuple[int | None, int]:
    start: int | None = None
    for i, line in enumerate(lines):
        match = SECTION_RE.match(line)
        if match and start is not None:
            end = i
            while end > start + 1 and not lines[end - 1].strip():
                end -= 1
            return start, end
        if match and " ".join(match.group(1).split()) == section:
            start = i
    return start, len(lines)


def _check_config(lines: list[str], section: str, role_arn: str) -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string("\n".join(lines) + "\n")
    except configparser.Error as exc:
        raise MfstackError(f"Your AWS config cannot be parsed, so it was left as it is ({exc}).") from exc
    if parser.get(section, "role_arn", fallback=None) != role_arn:
        raise MfstackError(f"Writing [{section}] into your AWS config would not take effect; it was left as it is.")
