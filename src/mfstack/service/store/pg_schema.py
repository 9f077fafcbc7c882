"""PostgreSQL migrations, tracked goose-style in `goose_db_version` like the reference service.

One row per applied version (plus version 0 when the table is created). Migrations run under a
transaction-scoped advisory lock, so two services starting together apply each version once.
"""

from __future__ import annotations

import asyncpg

from mfstack.service.migrations import Migration, load
from mfstack.service.store.base import SchemaStatus

LOCK_KEY = 0x6D66_7374  # any constant shared by every instance of this service
GOOSE_TABLE = """
CREATE TABLE IF NOT EXISTS goose_db_version (
    id SERIAL PRIMARY KEY,
    version_id BIGINT NOT NULL,
    is_applied BOOLEAN NOT NULL,
    tstamp TIMESTAMP DEFAULT now()
)"""


async def applied_versions(conn: asyncpg.Connection) -> set[int] | None:
    """Versions whose latest goose row says applied; None when there is no goose table."""
    exists = await conn.fetchval("SELECT to_regclass('goose_db_version') IS NOT NULL")
    if not exists:
        return None
    rows = await conn.fetch("SELECT version_id, is_applied FROM goose_db_version ORDER BY id DESC")
    latest: dict[int, bool] = {}
    for r in rows:
        latest.setdefault(int(r["version_id"]), bool(r["is_applied"]))
    return {v for v, ok in latest.items() if ok}


async def status(conn: asyncpg.Connection) -> SchemaStatus:
    migrations = load("postgres")
    applied = await applied_versions(conn) or set()
    pending = [m.version for m in migrations if m.version not in applied]
    return SchemaStatus(max(applied, default=0), migrations[-1].version, pending)


async def is_empty(conn: asyncpg.Connection) -> bool:
    """No goose table and no metadata tables: a fresh database we may set up unasked."""
    found = await conn.fetchval(
        "SELECT to_regclass('goose_db_version') IS NOT NULL OR to_regclass('flows_v3') IS NOT NULL"
    )
    return not found


async def upgrade(conn: asyncpg.Connection) -> list[int]:
    """Apply every pending migration, each in its own transaction; returns the versions applied."""
    done = []
    for m in load("postgres"):
        if await _apply(conn, m):
            done.append(m.version)
    return done


async def _apply(conn: asyncpg.Connection, m: Migration) -> bool:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
        applied = await applied_versions(conn)
        if applied is None:
            await conn.execute(GOOSE_TABLE)
            await conn.execute("INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true)")
            applied = {0}
        if m.version in applied:
            return False
        await conn.execute(m.up)
        await conn.execute("INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)", m.version)
        return True
