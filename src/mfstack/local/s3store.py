"""Durable S3 for the emulator: every object is mirrored to a file before the request is answered.

moto keeps S3 in memory. Inside the emulator process this module records which buckets and
keys a request changed (by wrapping the S3 backend's create/put/delete methods), and after the
request is handled — before its response leaves the process — writes each changed object to
`<data-dir>/s3/<bucket>/<sha256 of key>.obj` (one JSON header line with the key and its
metadata, then the bytes; written to a temporary file and renamed, so a file is always whole)
or removes it. At start, `restore` loads every mirrored bucket and object back into moto.

So: an object whose upload was acknowledged survives `mfstack down`, a crash or a kill -9 of
the emulator. What does not survive a restart: object tags/ACLs, versions other than the
latest, unfinished multipart uploads, and the state of other services (the bootstrap recreates
the table, roles and queue; Step Functions state machines must be created again).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from moto.s3.models import S3Backend, s3_backends

from mfstack.local.resources import ACCOUNT_ID, REGION

_changes = threading.local()
_OBJ = ".obj"


def _pending() -> set[tuple[str, str | None]]:
    if not hasattr(_changes, "items"):
        _changes.items = set()
    items: set[tuple[str, str | None]] = _changes.items
    return items


def _record(bucket: str, key: str | None) -> None:
    _pending().add((bucket, key))


def _wrap(name: str, changed: Callable[..., tuple[str, str | None]]) -> None:
    original = getattr(S3Backend, name)
    if getattr(original, "_mfstack_wrapped", False):
        return

    def wrapper(self: S3Backend, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        _record(*changed(*args, **kwargs))
        return result

    wrapper._mfstack_wrapped = True  # type: ignore[attr-defined]
    setattr(S3Backend, name, wrapper)


def _bucket_arg(*args: Any, **kwargs: Any) -> tuple[str, str | None]:
    return str(kwargs.get("bucket_name", args[0] if args else "")), None


def _key_args(*args: Any, **kwargs: Any) -> tuple[str, str | None]:
    bucket = kwargs.get("bucket_name", args[0] if args else "")
    key = kwargs.get("key_name", args[1] if len(args) > 1 else "")
    return str(bucket), str(key)


def install() -> None:
    """Record every bucket/object change made through moto's S3 backend in this process."""
    _wrap("create_bucket", _bucket_arg)
    _wrap("delete_bucket", _bucket_arg)
    _wrap("put_object", _key_args)
    _wrap("delete_object", _key_args)


class S3Mirror:
    """The on-disk copy of the emulator's S3 buckets and objects."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def backend(self) -> S3Backend:
        backend: S3Backend = s3_backends[ACCOUNT_ID]["global"]
        return backend

    def bucket_dir(self, bucket: str) -> Path:
        return self.root / bucket

    def object_file(self, bucket: str, key: str) -> Path:
        return self.bucket_dir(bucket) / (hashlib.sha256(key.encode()).hexdigest() + _OBJ)

    def flush(self) -> None:
        """Write (or remove) every bucket and object the current request changed."""
        pending = _pending()
        while pending:
            bucket, key = pending.pop()
            if key is None:
                self._sync_bucket(bucket)
            else:
                self._sync_object(bucket, key)

    def _sync_bucket(self, bucket: str) -> None:
        exists = bucket in self.backend.buckets
        folder = self.bucket_dir(bucket)
        if exists:
            folder.mkdir(parents=True, exist_ok=True)
        elif folder.is_dir():
            for leftover in folder.iterdir():
                leftover.unlink()
            folder.rmdir()

    def _sync_object(self, bucket: str, key: str) -> None:
        path = self.object_file(bucket, key)
        found = self.backend.buckets.get(bucket)
        obj = found.keys.get(key) if found is not None else None
        value = getattr(obj, "value", None)
        if obj is None or value is None:
            path.unlink(missing_ok=True)
            return
        header = {"key": key, "metadata": dict(obj.metadata), "last_modified": obj.last_modified.isoformat()}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(json.dumps(header).encode() + b"\n")
            fh.write(value)
        os.replace(tmp, path)

    def restore(self) -> int:
        """Load every mirrored bucket and object into moto; returns the number of objects."""
        count = 0
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() else []:
            if folder.name not in self.backend.buckets:
                self.backend.create_bucket(folder.name, REGION)
            for header, value in _read_objects(folder.glob("*" + _OBJ)):
                obj = self.backend.put_object(folder.name, header["key"], value, disable_notification=True)
                obj.set_metadata(dict(header.get("metadata", {})))
                count += 1
        _pending().clear()
        return count


def _read_objects(paths: Iterable[Path]) -> Iterator[tuple[dict[str, Any], bytes]]:
    for path in paths:
        with open(path, "rb") as fh:
            line = fh.readline()
            try:
                header = json.loads(line)
            except ValueError:
                continue  # not a file this module wrote
            yield header, fh.read()
