"""The AWS emulator process: moto's server on 127.0.0.1, with S3 mirrored to the data dir.

Run as `python -m mfstack.local.emulator --port P --s3-dir DIR`. It restores the mirrored S3
objects, then serves every AWS API moto emulates (S3, DynamoDB, IAM, STS, Step Functions,
Batch, EventBridge...) until SIGTERM or SIGINT. Every S3 change is written to disk before the
request that made it is answered (see `s3store`).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from mfstack.local import s3store

# Service apps loaded in the background as soon as the port opens, so the bootstrap finds them ready.
WARM_BACKENDS: tuple[str, ...] = ("s3", "sts", "iam", "dynamodb", "ec2", "stepfunctions", "events", "batch")

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


def serve(host: str, port: int, s3_dir: Path) -> None:
    """Restore S3 from `s3_dir`, then serve until SIGTERM/SIGINT."""
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
    server.serve_forever()
    print("AWS emulator stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mfstack.local.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--s3-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.s3_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
