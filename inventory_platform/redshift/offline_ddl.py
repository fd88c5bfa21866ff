"""Render the DDL dbt would run on Redshift, without a cluster.

dbt runs against the `prod` target with a connection that records every statement and answers every
query with no rows (so every relation looks new and is created from scratch). The statements that
change the warehouse are kept, in execution order, and each is parsed in sqlglot's Redshift dialect.
docs/redshift_ddl.sql holds the reviewed snapshot; a test fails when the rendering drifts from it.

Model contracts render as they would on Redshift (typed column list, then insert), but their preflight
type comparison needs a live cluster: offline, both sides of it see an empty schema and agree. The
comparison runs for real on DuckDB and PostgreSQL in CI (docs/model_contracts.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from string import Template

import sqlglot
from sqlglot import exp

from inventory_platform.settings import DBT_PROJECT_DIR, REPO_ROOT

SNAPSHOT = REPO_ROOT / "docs" / "redshift_ddl.sql"
_DBT_QUERY_COMMENT = re.compile(r"/\*\s*\{\"app\":\s*\"dbt\".*?\*/", re.S)
# Introspection and transaction control carry no DDL worth reviewing.
_NOT_DDL = re.compile(r"^(begin|commit|rollback|select|with|show|set|analyze)\b", re.I)
# dbt's schema probe (get_empty_subquery_sql), used by the contract preflight.
_SCHEMA_PROBE = re.compile(r"\)\s*as\s+__dbt_sbq\s+where\s+false\s+limit\s+0\s*$", re.I)


class _RecordingCursor:
    description = None
    rowcount = -1

    def __init__(self, log: list[str]):
        self._log = log

    def execute(self, sql: str, bindings=None) -> None:
        self._log.append(sql)
        self.description = [] if _SCHEMA_PROBE.search(sql) else None

    def fetchall(self) -> list:
        return []

    def fetchmany(self, size=None) -> list:
        return []

    def fetchone(self):
        return None

    def close(self) -> None:
        pass


class _RecordingHandle:
    autocommit = False

    def __init__(self, log: list[str]):
        self._log = log

    def cursor(self) -> _RecordingCursor:
        return _RecordingCursor(self._log)

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass


def _ddl_statements(log: list[str]) -> list[str]:
    statements = []
    for raw in log:
        sql = _DBT_QUERY_COMMENT.sub("", raw).strip().rstrip(";").strip()
        if sql and not _NOT_DDL.match(sql):
            statements.append(sql)
    # dbt creates schemas first, iterating over a set: sort them so the snapshot does not depend on hash order.
    schemas = sorted(s for s in statements if s.lower().startswith("create schema"))
    return schemas + [s for s in statements if not s.lower().startswith("create schema")]


def _run_offline(args: list[str], log: list[str], target_dir: str) -> None:
    """Run dbt on the `prod` target through the recording connection."""
    from dbt.adapters.redshift.connections import RedshiftConnectionManager
    from dbt.cli.main import dbtRunner

    def recording_open(cls, connection):
        connection.handle = _RecordingHandle(log)
        connection.state = "open"
        return connection

    RedshiftConnectionManager.open = classmethod(recording_open)
    # Fixed placeholders, so a developer's real connection settings never change the reviewed snapshot.
    os.environ.update({"REDSHIFT_HOST": "redshift.invalid", "REDSHIFT_DATABASE": "inventory",
                       "REDSHIFT_SCHEMA": "public", "REDSHIFT_USER": "dagster", "REDSHIFT_PASSWORD": ""})
    result = dbtRunner().invoke([
        *args, "--target", "prod", "--threads", "1", "--quiet",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", f"{target_dir}/target", "--log-path", f"{target_dir}/logs",
    ])
    if not result.success:
        raise RuntimeError(f"dbt {args[0]} against the recording Redshift connection failed: {result.exception}")


def render_redshift_ddl() -> list[str]:
    """Every statement that changes the warehouse in `dbt build --target prod` (seeds and models), in order."""
    log: list[str] = []
    with tempfile.TemporaryDirectory(prefix="redshift-ddl-") as tmp:
        _run_offline(["build", "--exclude-resource-type", "test"], log, tmp)
    return _ddl_statements(log)


# Tables rebuilt every run whose SELECT, too, reads only the restated days once the ledger exists.
RESTATEMENT_TABLES = ("int_ledger_restate_window", "int_ledger_resolved")


def prod_manifest() -> dict:
    """The dbt manifest as the prod target configures it (Gold is a materialized view there, the resolved ledger a
    table): parsed offline."""
    with tempfile.TemporaryDirectory(prefix="redshift-parse-") as tmp:
        _run_offline(["parse"], [], tmp)
        return json.loads(Path(tmp, "target", "manifest.json").read_text())


def render_incremental_selects() -> dict[str, str]:
    """Per incremental model, the SELECT a later run executes once the table exists (the restatement):
    on an empty cluster only the first run's CREATE renders, so this compiles the model as if it existed."""
    from dbt.adapters.contracts.relation import RelationType
    from dbt.adapters.redshift.impl import RedshiftAdapter

    manifest = prod_manifest()
    models = sorted(n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model" and (
        n["config"]["materialized"] == "incremental" or n["name"] in RESTATEMENT_TABLES))
    original = RedshiftAdapter.get_relation

    def every_relation_exists(self, database, schema, identifier):
        return self.Relation.create(database=database, schema=schema, identifier=identifier, type=RelationType.Table)

    RedshiftAdapter.get_relation = every_relation_exists
    selects = {}
    try:
        with tempfile.TemporaryDirectory(prefix="redshift-incremental-") as tmp:
            _run_offline(["compile", "--select", *models], [], tmp)
            for name in models:
                compiled = next(Path(tmp, "target", "compiled").rglob(f"{name}.sql"))
                selects[name] = compiled.read_text().strip()
    finally:
        RedshiftAdapter.get_relation = original
    return selects


_IAM_ROLE = r"IAM_ROLE ('arn:aws:iam::\d{12}:role/[\w+=,.@-]+'|default)"  # a role, never keys
# Redshift-only commands sqlglot has no grammar for, checked against their documented syntax instead.
REDSHIFT_ONLY_COMMANDS = {
    "external schema from kinesis": re.compile(
        rf"CREATE EXTERNAL SCHEMA (IF NOT EXISTS )?\w+\s+FROM KINESIS\s+{_IAM_ROLE}", re.IGNORECASE),
    "external schema from data catalog": re.compile(
        rf"CREATE EXTERNAL SCHEMA (IF NOT EXISTS )?\w+ FROM DATA CATALOG DATABASE '\w+' {_IAM_ROLE}"
        r"( CREATE EXTERNAL DATABASE IF NOT EXISTS)?", re.IGNORECASE),
}
# UNLOAD to partitioned Parquet: the clauses are checked here, the quoted query is parsed as a SELECT.
_UNLOAD_PARQUET = re.compile(
    rf"UNLOAD \('(?P<query>(?:[^']|'')*)'\) TO 's3://[\w.=/-]+/' {_IAM_ROLE} FORMAT (AS )?PARQUET"
    r" PARTITION BY \(\w+(, \w+)*\)( INCLUDE)?", re.IGNORECASE)


def parse_redshift(statement: str) -> exp.Expression:
    """Parse one statement as Redshift SQL; raise if sqlglot cannot parse it as a real statement."""
    parsed = sqlglot.parse_one(statement, read="redshift", error_level=sqlglot.ErrorLevel.RAISE)
    if isinstance(parsed, exp.Command):
        flat = " ".join(statement.split())
        if any(p.fullmatch(flat) for p in REDSHIFT_ONLY_COMMANDS.values()):
            return parsed
        unload = _UNLOAD_PARQUET.fullmatch(flat)
        if unload:
            query = unload["query"].replace("''", "'")
            if not isinstance(parse_redshift(query), exp.Select):
                raise ValueError(f"UNLOAD's query is not a SELECT: {query[:200]}")
            return parsed
        raise ValueError(f"sqlglot fell back to an unparsed command for: {statement[:200]}")
    return parsed


# Platform DDL kept outside dbt, rendered with example values for the snapshot.
PLATFORM_DDL = {
    REPO_ROOT / "inventory_platform" / "cdc" / "redshift_streaming_ingestion.sql": {
        "streaming_role_arn": "arn:aws:iam::123456789012:role/inventory-redshift-streaming",
        "clean_stream": "inventory-cdc-clean"},
    REPO_ROOT / "inventory_platform" / "cold_tier" / "redshift_cold_tier.sql": {
        "lake_role_arn": "arn:aws:iam::123456789012:role/inventory-redshift-lake",
        "cold_prefix": "s3://inventory-lake-123456789012/cold", "glue_database": "inventory_cold",
        "offload_id": "20261203T080000-1a2b3c4d", "cutoff_date": "2022-12-01", "year": "2022", "month": "11"},
}


def render_platform_ddl() -> list[str]:
    statements = []
    for path, values in PLATFORM_DDL.items():
        body = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
        statements += [s.strip() for s in Template(body).substitute(values).split(";") if s.strip()]
    return statements


def render_snapshot(statements: list[str], incremental_selects: dict[str, str]) -> str:
    header = (
        "-- Redshift DDL rendered offline by `make redshift-ddl` (inventory_platform/redshift/offline_ddl.py):\n"
        "-- what `dbt build --target prod` executes on an empty cluster, in order. Reviewed snapshot: a test\n"
        "-- fails when the models render differently; regenerate and review the diff.\n"
    )
    def later_run(name: str) -> str:
        if name in RESTATEMENT_TABLES:
            return f"\n-- Later runs of {name} (the ledger exists): the SELECT the table is rebuilt from.\n"
        return (f"\n-- Later runs of incremental model {name} (the table exists): the SELECT whose rows replace the\n"
                f"-- restated days or months (its incremental strategy deletes those, then inserts these rows).\n")

    later_runs = "".join(f"{later_run(name)}{sql};\n" for name, sql in incremental_selects.items())
    return header + "".join(f"\n{s};\n" for s in statements) + later_runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SNAPSHOT, help="where to write the rendered DDL")
    args = parser.parse_args(argv)
    statements = render_redshift_ddl() + render_platform_ddl()
    incremental_selects = render_incremental_selects()
    for statement in [*statements, *incremental_selects.values()]:
        parse_redshift(statement)
    args.out.write_text(render_snapshot(statements, incremental_selects))
    print(f"{len(statements)} Redshift statements and {len(incremental_selects)} incremental SELECTs "
          f"rendered and parsed -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
