"""Service settings: flags win over the environment (including the reference image's variables),
which wins over the defaults; every bad value is a one-paragraph ServiceError."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfstack.errors import ServiceError
from mfstack.service.config import load, parse_db_url

REFERENCE_ENV = {
    "MF_METADATA_DB_HOST": "db.internal",
    "MF_METADATA_DB_PORT": "5433",
    "MF_METADATA_DB_USER": "u",
    "MF_METADATA_DB_PSWD": "p@ss/word",
    "MF_METADATA_DB_NAME": "md",
    "MF_METADATA_DB_SSL_MODE": "require",
    "MF_METADATA_HOST": "0.0.0.0",
    "MF_METADATA_PORT": "8081",
    "MF_MIGRATION_PORT": "8082",
}


def test_defaults_are_sqlite_in_the_user_data_dir_on_loopback() -> None:
    cfg = load(env={})
    assert cfg.database.kind == "sqlite" and cfg.database.path is not None
    assert cfg.database.path.name == "metadata.db" and "mfstack" in str(cfg.database.path)
    assert (cfg.host, cfg.port, cfg.api_keys, cfg.migration_port) == ("127.0.0.1", 8080, (), None)


def test_reference_image_variables_are_understood() -> None:
    cfg = load(env=REFERENCE_ENV)
    assert cfg.database.dsn == "postgresql://u:p%40ss%2Fword@db.internal:5433/md?sslmode=require"
    assert (cfg.host, cfg.port, cfg.migration_port) == ("0.0.0.0", 8081, 8082)
    assert "p%40ss" not in cfg.database.describe() and "db.internal:5433/md" in cfg.database.describe()


def test_flags_win_over_environment() -> None:
    env = dict(REFERENCE_ENV, MFSTACK_SERVICE_API_KEYS="env-a, env-b")
    assert load(env=env).api_keys == ("env-a", "env-b")
    cfg = load("sqlite:///x/y.db", "127.0.0.1", 9000, ["flag-key"], env=env, migration_port=9001)
    assert cfg.database.kind == "sqlite" and str(cfg.database.path) == "/x/y.db"
    assert (cfg.host, cfg.port, cfg.api_keys, cfg.migration_port) == ("127.0.0.1", 9000, ("flag-key",), 9001)
    assert load(env={"MFSTACK_SERVICE_DB": "postgresql://a@h/d", **REFERENCE_ENV}).database.dsn == "postgresql://a@h/d"


@pytest.mark.parametrize(
    ("url", "kind", "where"),
    [
        ("sqlite:///abs/path.db", "sqlite", "/abs/path.db"),
        ("sqlite:////abs/path.db", "sqlite", "/abs/path.db"),
        ("postgresql://user:pw@host:5432/db", "postgres", None),
        ("postgres://user@host/db", "postgres", None),
    ],
)
def test_database_url_forms(url: str, kind: str, where: str | None) -> None:
    db = parse_db_url(url)
    assert db.kind == kind and (where is None or str(db.path) == where)


def test_plain_path_is_sqlite(tmp_path: Path) -> None:
    assert parse_db_url(str(tmp_path / "m.db")).path == tmp_path / "m.db"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"db": "mysql://x/y"},
        {"db": "sqlite://relative.db"},
        {"db": "postgresql:///nohost"},
        {"env": {"MF_METADATA_PORT": "http"}},
        {"env": {"MF_METADATA_PORT": "70000"}},
        {"env": {"MFSTACK_SERVICE_MAX_BODY": "-1"}},
        {"port": 8080, "migration_port": 8080},
        {"sqlite_synchronous": "OFF"},
    ],
)
def test_bad_settings_are_service_errors(kwargs: dict[str, object]) -> None:
    kwargs.setdefault("env", {})
    with pytest.raises(ServiceError) as err:
        load(**kwargs)  # type: ignore[arg-type]
    assert err.value.message and "\n" not in err.value.message


def test_lost_database_is_classified_as_retryable() -> None:
    import sqlite3

    import asyncpg

    from mfstack.service.app import database_unavailable

    assert database_unavailable(ConnectionRefusedError())
    assert database_unavailable(sqlite3.OperationalError("database is locked"))
    assert database_unavailable(asyncpg.ConnectionDoesNotExistError("closed"))
    assert database_unavailable(asyncpg.InternalClientError("another operation is in progress"))
    assert not database_unavailable(sqlite3.OperationalError("no such table: flows_v3"))
    assert not database_unavailable(ValueError("x"))
