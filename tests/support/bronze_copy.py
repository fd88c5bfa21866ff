"""Copy Bronze tables from a DuckDB file into PostgreSQL, standing in for production's Bronze load."""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg2

from inventory_platform.bronze.loader import BRONZE_SCHEMA
from inventory_platform.landing_contract import SOURCE_TABLES
from inventory_platform.lib.sql_quoting import quote_ident, quote_literal

from .postgres_server import PostgresServer


def copy_bronze_to_postgres(duckdb_path: Path, server: PostgresServer, work_dir: Path) -> dict[str, int]:
    source = duckdb.connect(str(duckdb_path), read_only=True)
    target = psycopg2.connect(host=server.host, port=server.port, user=server.user, dbname=server.database)
    copied = {}
    try:
        with target, target.cursor() as cur:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {BRONZE_SCHEMA}")
            for name in [*SOURCE_TABLES, "cdc_events"]:
                table = f"{BRONZE_SCHEMA}.{quote_ident(name)}"
                columns = source.execute(f"DESCRIBE {table}").fetchall()
                ddl = ", ".join(f"{quote_ident(col)} {typ}" for col, typ, *_ in columns)
                cur.execute(f"DROP TABLE IF EXISTS {table}")
                cur.execute(f"CREATE TABLE {table} ({ddl})")
                csv_path = work_dir / f"{name}.csv"
                source.execute(f"COPY {table} TO {quote_literal(str(csv_path))} (FORMAT csv, HEADER true)")
                with csv_path.open() as fh:
                    cur.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)", fh)
                cur.execute(f"ANALYZE {table}")  # as a loader does: dbt's first queries are planned from it
                cur.execute(f"SELECT count(*) FROM {table}")
                copied[name] = cur.fetchone()[0]
    finally:
        source.close()
        target.close()
    return copied
