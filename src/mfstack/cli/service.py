"""`mfstack service`: run the Metaflow metadata service (SQLite by default, or PostgreSQL)."""

from __future__ import annotations

import typer

from mfstack.cli.app import app

DB_HELP = (
    "Database URL: sqlite:///absolute/path.db (or a plain file path) or "
    "postgresql://user:password@host:port/dbname[?sslmode=require]. Default: $MFSTACK_SERVICE_DB, else the "
    "reference image's MF_METADATA_DB_HOST/_PORT/_USER/_PSWD/_NAME/_SSL_MODE when MF_METADATA_DB_HOST is set, "
    "else a SQLite file under the user's data folder."
)
KEY_HELP = (
    "API key every request must send as x-api-key; repeat to accept several keys while rotating. "
    "Default: the comma-separated $MFSTACK_SERVICE_API_KEYS. Without any key, no key is required."
)


@app.command("service")
def service(
    db: str | None = typer.Option(None, "--db", help=DB_HELP, show_default=False),
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on. Default: $MF_METADATA_HOST, else 127.0.0.1.", show_default=False
    ),
    port: int | None = typer.Option(
        None,
        "--port",
        min=0,
        max=65535,
        help="TCP port (0 picks a free one). Default: $MF_METADATA_PORT, else 8080.",
        show_default=False,
    ),
    api_key: list[str] = typer.Option([], "--api-key", help=KEY_HELP, show_default=False),
    migrate: bool = typer.Option(
        False, "--migrate", help="Apply pending schema migrations at startup (an empty database is always migrated)."
    ),
    max_body: int | None = typer.Option(
        None,
        "--max-body",
        min=1,
        help="Largest request body in bytes; larger ones get 413. Default: $MFSTACK_SERVICE_MAX_BODY, else 16 MiB.",
        show_default=False,
    ),
    access_log: bool = typer.Option(
        True, "--access-log/--no-access-log", help="Log one JSON line per request on stderr (never keys or headers)."
    ),
    sqlite_synchronous: str = typer.Option(
        "FULL",
        "--sqlite-synchronous",
        help="SQLite durability: FULL (every answered write survives a crash or power loss) or NORMAL (survives a crash of the service only).",
    ),
    migration_port: int | None = typer.Option(
        None,
        "--migration-port",
        min=1,
        max=65535,
        help="Also listen on this port for /ping, /db_schema_status and /upgrade only, as the reference image does on 8082 for "
        "the deployment's migration step. Default: $MF_MIGRATION_PORT, else off.",
        show_default=False,
    ),
    pool_size: int = typer.Option(10, "--pool-size", min=1, max=100, help="PostgreSQL connections kept open."),
    log_level: str = typer.Option("info", "--log-level", help="Service log level: debug, info, warning or error."),
) -> int:
    """Run the Metaflow metadata service: every route the Metaflow client uses, plus GET /ping,
    GET /db_schema_status, PATCH /upgrade and GET /openapi.json. Stops gracefully on SIGTERM."""
    from mfstack.service import config as service_config
    from mfstack.service.server import configure_logging, run

    configure_logging(log_level)
    cfg = service_config.load(
        db,
        host,
        port,
        api_key,
        migrate=migrate,
        max_body=max_body,
        access_log=access_log,
        sqlite_synchronous=sqlite_synchronous,
        pool_size=pool_size,
        migration_port=migration_port,
    )
    run(cfg)
    return 0
