"""Versioned schema migrations shipped as SQL files, one folder per store.

PostgreSQL files are goose-style (`<version>_<what>.sql` with `-- +goose Up` / `-- +goose Down`
sections) and use the reference service's version numbers, so a database migrated by either
service reports the same version to the other. SQLite files use small sequential versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Migration:
    """One versioned step: the SQL that moves the schema up to `version`."""

    version: int
    name: str
    up: str


def load(kind: str) -> list[Migration]:
    """The migrations of a store kind ("postgres" or "sqlite"), in version order."""
    out = []
    for entry in resources.files(__name__).joinpath(kind).iterdir():
        if not entry.name.endswith(".sql"):
            continue
        stem = entry.name[: -len(".sql")]
        version, _, name = stem.partition("_")
        out.append(Migration(int(version), name, _up_section(entry.read_text(encoding="utf-8"))))
    return sorted(out, key=lambda m: m.version)


def _up_section(text: str) -> str:
    """The `-- +goose Up` part of a file (the whole file when it has no goose markers)."""
    if "-- +goose Up" not in text:
        return text
    up = text.split("-- +goose Up", 1)[1]
    return up.split("-- +goose Down", 1)[0].strip()
