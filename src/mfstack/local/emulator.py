"""The AWS emulator process: moto's server on 127.0.0.1, with S3 mirrored to the data dir.

Run as `python -m mfstack.local.emulator --port P --s3-dir DIR`. It restores the mirrored S3
objects, then serves every AWS API moto emulates (S3, DynamoDB, IAM, STS, Step Functions,
Batch, EventBridge...) until SIGTERM or SIGINT. With `--data-dir`, it also makes the stack's
Batch compute environment and queue in the background and writes `run/batch.json` when done. Every S3 change is written to disk before the
request that made it is answered (see `s3store`).
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from mfstack.local import s3store

# Service apps loaded in the background as soon as the port opens, so the bootstrap finds them ready.
WARM_BACKENDS: tuple[str, ...] = ()

START_BATCH_AFTER = 60.0  # seconds to wait for `up` to finish before making the Batch queue anyway

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class MirroringApp:
    """WSGI middleware: after moto handles a request, persist the S3 changes it made."""

    def __init__(self, app: WsgiApp, mirror: s3store.S3Mirror) -> None:
        self.app = app
        self.mirror = mirror

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            body = list(self.app(environ, start_response))
        finally:
            self.mirror.flush()
        return body


def _warm(app: DomainDispatcherApplication) -> None:
    """Create the per-service apps now (Batch alone takes most of a second to import)."""
    for service in WARM_BACKENDS:
        if service in app.app_instances:
            continue
        created = create_backend_app(service)  # type: ignore[arg-type]
        with app.lock:  # held only to publish the app: requests are not kept waiting meanwhile
            app.app_instances.setdefault(service, created)


def _bootstrap_batch(url: str, data_dir: Path) -> None:
    """Make the stack's Batch queue in this emulator; record the outcome for `mfstack run`/`status`.

    It starts once `up` has recorded the stack as ready (state.json), so loading moto's EC2 model
    does not slow down the requests `up` waits for.
    """
    deadline = time.monotonic() + START_BATCH_AFTER
    while not (data_dir / "state.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    from mfstack.errors import MfstackError
    from mfstack.local.bootstrap import bootstrap_batch, emulator_context
    from mfstack.local.layout import DataDir, write_private
    from mfstack.local.resources import LocalResources

    target = DataDir(data_dir)
    try:
        result = bootstrap_batch(emulator_context(url), LocalResources.for_data_dir(data_dir))
        outcome = {"ok": True, "created": result.created, "existing": result.existing}
    except MfstackError as exc:
        outcome = {"ok": False, "error": exc.message}
    except Exception as exc:  # recorded for `status`, never a silent thread death
        outcome = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    write_private(target.batch_marker, json.dumps(outcome) + "\n")
    print(f"Batch queue: {outcome}", flush=True)


def serve(host: str, port: int, s3_dir: Path, data_dir: Path | None = None) -> None:
    """Restore S3 from `s3_dir`, then serve until SIGTERM/SIGINT (making the Batch queue meanwhile)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request: logs stay small
    s3store.install()
    mirror = s3store.S3Mirror(s3_dir)
    restored = mirror.restore()
    app = DomainDispatcherApplication(create_backend_app)
    threading.Thread(target=_warm, args=(app,), daemon=True).start()
    server = make_server(host, port, MirroringApp(app, mirror), threaded=True)  # type: ignore[arg-type]

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"AWS emulator serving on http://{host}:{port}; {restored} S3 objects restored from {s3_dir}", flush=True)
    if data_dir is not None:
        threading.Thread(target=_bootstrap_batch, args=(f"http://{host}:{port}", data_dir), daemon=True).start()
    server.serve_forever()
    print("AWS emulator stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 PID` writes every thread's stack to the log
    parser = argparse.ArgumentParser(prog="mfstack.local.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--s3-dir", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, help="The local stack's data dir: make its Batch queue.")
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.s3_dir, args.data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
