"""The Metaflow metadata service: a drop-in replacement for the reference service.

Run it with `mfstack service [OPTIONS]` or, without loading the other commands (faster start,
what the container image runs), `python -m mfstack.service [OPTIONS]`:

    mfstack service                                   # SQLite under the user's data folder, 127.0.0.1:8080
    mfstack service --db sqlite:///abs/path.db --port 8080 --api-key KEY
    mfstack service --db postgresql://user:pw@host:5432/dbname --host 0.0.0.0 --migrate

Settings come from flags, then the environment, then defaults: `MFSTACK_SERVICE_DB`, the
reference image's `MF_METADATA_DB_HOST/_PORT/_USER/_PSWD/_NAME/_SSL_MODE`, `MF_METADATA_HOST`,
`MF_METADATA_PORT`, `MF_MIGRATION_PORT`, `MFSTACK_SERVICE_API_KEYS` (comma-separated, for key
rotation) and `MFSTACK_SERVICE_MAX_BODY`. Point Metaflow at it with `METAFLOW_SERVICE_URL`,
`METAFLOW_SERVICE_AUTH_KEY` and `METAFLOW_DEFAULT_METADATA=service`.

Behaviour worth knowing:
- Every route the Metaflow client uses, `GET /ping` (header `METADATA_SERVICE_VERSION: 2.5.1`),
  `GET /db_schema_status`, `PATCH /upgrade` and `GET /openapi.json`. JSON answers with a JSON
  content type; errors are `{"message": ...}` with a 4xx (503 while the database is unreachable
  or its schema is behind, which the client retries); never a traceback.
- With API keys set, every route (including `/ping`) needs `x-api-key`; others get 403.
- Request bodies above `--max-body` (16 MiB by default) get 413.
- PostgreSQL: the reference schema (`flows_v3` ... `artifact_v3`, `goose_db_version` with the
  reference version numbers), so either service can run on a database the other wrote. An empty
  database is set up at start; pending migrations otherwise wait for `--migrate` or
  `PATCH /upgrade`.
- SQLite: one file in WAL mode, one service per file. With `--sqlite-synchronous FULL` (the
  default) an answered write survives a crash of the service or of the machine.
- Heartbeats answer 200 with a JSON-encoded string `"{\\"wait_time_in_seconds\\": 10}"`; a
  heartbeat within 10 s of the previous one is answered without a database write.
- SIGTERM: in-flight requests finish, then the service exits. One JSON access-log line per
  request on stderr (`--no-access-log` turns it off); keys and headers are never logged.
"""
