"""Service settings: command-line flags, then environment variables, then defaults.

Database URL forms: `sqlite:///absolute/path.db` (or a bare file path) and
`postgresql://user:password@host:port/dbname[?sslmode=...]`. Without `--db`, `MFSTACK_SERVICE_DB`
is used, else the reference image's `MF_METADATA_DB_HOST/_PORT/_USER/_PSWD/_NAME/_SSL_MODE`
(when `MF_METADATA_DB_HOST` is set), else a SQLite file under the user's data folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import platformdirs

from mfstack.errors import ServiceError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_MAX_BODY = 16 * 1024 * 1024
ENV_DB = "MFSTACK_SERVICE_DB"
ENV_API_KEYS = "MFSTACK_SERVICE_API_KEYS"
ENV_MAX_BODY = "MFSTACK_SERVICE_MAX_BODY"


@dataclass(frozen=True)
class Database:
    """Where the metadata lives: `kind` is "sqlite" (with `path`) or "postgres" (with `dsn`)."""

    kind: str
    path: Path | None = None
    dsn: str | None = None

    def describe(self) -> str:
        """The database without its password, for logs and messages."""
        if self.kind == "sqlite":
            return f"sqlite://{self.path}"
        parts = urlsplit(self.dsn or "")
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        user = f"{parts.username}@" if parts.username else ""
        return f"postgresql://{user}{host}{port}{parts.path}"


@dataclass(frozen=True)
class ServiceConfig:
    """Everything the service needs to start."""

    database: Database
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_keys: tuple[str, ...] = ()
    migrate: bool = False
    max_body: int = DEFAULT_MAX_BODY
    access_log: bool = True
    sqlite_synchronous: str = "FULL"
    pool_size: int = 10
    migration_port: int | None = None


def default_sqlite_path() -> Path:
    return Path(platformdirs.user_data_dir("mfstack")) / "metadata.db"


def parse_db_url(url: str) -> Database:
    """A `--db` value -> Database; a clear ServiceError for anything else."""
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        if not parts.hostname and "host=" not in parts.query:
            raise ServiceError(f"The PostgreSQL URL {Database('postgres', dsn=url).describe()!r} names no host.")
        return Database("postgres", dsn=url)
    if url.startswith("sqlite://"):
        path = url[len("sqlite://") :]
        if not path.startswith("/") or path.strip("/") == "":
            raise ServiceError(f"The SQLite URL {url!r} must hold an absolute path: sqlite:///absolute/path.db.")
        return Database("sqlite", path=Path("/" + path.lstrip("/")))
    if "://" in url:
        raise ServiceError(
            f"The database URL {url.split('://')[0]}://... is not supported.",
            hint="Use sqlite:///absolute/path.db or postgresql://user:password@host:port/dbname.",
        )
    return Database("sqlite", path=Path(url).expanduser().resolve())


def database_from_env(env: Mapping[str, str]) -> Database | None:
    if env.get(ENV_DB):
        return parse_db_url(env[ENV_DB])
    host = env.get("MF_METADATA_DB_HOST")
    if not host:
        return None
    user = quote(env.get("MF_METADATA_DB_USER", "postgres"), safe="")
    password = quote(env.get("MF_METADATA_DB_PSWD", ""), safe="")
    auth = f"{user}:{password}@" if password else f"{user}@"
    port = env.get("MF_METADATA_DB_PORT", "5432")
    name = quote(env.get("MF_METADATA_DB_NAME", "postgres"), safe="")
    ssl = env.get("MF_METADATA_DB_SSL_MODE")
    query = f"?sslmode={quote(ssl, safe='')}" if ssl else ""
    return Database("postgres", dsn=f"postgresql://{auth}{host}:{port}/{name}{query}")


def load(
    db: str | None = None,
    host: str | None = None,
    port: int | None = None,
    api_keys: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    *,
    migrate: bool = False,
    max_body: int | None = None,
    access_log: bool = True,
    sqlite_synchronous: str = "FULL",
    pool_size: int = 10,
    migration_port: int | None = None,
) -> ServiceConfig:
    """Resolve the settings: flags win over the environment, which wins over the defaults."""
    env = os.environ if env is None else env
    database = parse_db_url(db) if db else database_from_env(env) or Database("sqlite", path=default_sqlite_path())
    keys = tuple(k for k in api_keys if k) or tuple(
        k.strip() for k in env.get(ENV_API_KEYS, "").split(",") if k.strip()
    )
    port = port if port is not None else _env_number(env, "MF_METADATA_PORT", 65535) or DEFAULT_PORT
    max_body = max_body or _env_number(env, ENV_MAX_BODY, 2**31) or DEFAULT_MAX_BODY
    migration_port = migration_port or _env_number(env, "MF_MIGRATION_PORT", 65535)
    if migration_port is not None and migration_port == port:
        raise ServiceError(f"The migration port must differ from the service port ({port}).")
    if sqlite_synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ServiceError(f"The SQLite synchronous mode must be FULL, EXTRA or NORMAL, not {sqlite_synchronous!r}.")
    return ServiceConfig(
        database=database,
        host=host or env.get("MF_METADATA_HOST") or DEFAULT_HOST,
        port=port,
        api_keys=keys,
        migrate=migrate,
        max_body=max_body,
        access_log=access_log,
        sqlite_synchronous=sqlite_synchronous.upper(),
        pool_size=pool_size,
        migration_port=migration_port,
    )


def _env_number(env: Mapping[str, str], name: str, highest: int) -> int | None:
    return _number(env[name], name, highest) if env.get(name) else None


def _number(value: str, source: str, highest: int) -> int:
    if not value.isdigit() or not 0 < int(value) <= highest:
        raise ServiceError(f"{source} must be a whole number from 1 to {highest}, not {value!r}.")
    return int(value)
