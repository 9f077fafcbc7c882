"""The two stores behind one interface (`base.Store`): SQLite and PostgreSQL."""

from __future__ import annotations

from mfstack.service.config import ServiceConfig
from mfstack.service.store.base import Store


def make_store(config: ServiceConfig) -> Store:
    """The store for the configured database (not opened yet)."""
    db = config.database
    if db.kind == "postgres":
        from mfstack.service.store.postgres import PostgresStore

        assert db.dsn is not None
        return PostgresStore(db.dsn, pool_size=config.pool_size)
    from mfstack.service.store.sqlite import SqliteStore

    assert db.path is not None
    return SqliteStore(db.path, synchronous=config.sqlite_synchronous)
