"""Render the DDL dbt would run on Redshift, without a cluster.

dbt runs against the `prod` target with a connection that records every statement and answers every
query with no rows (so every relation looks new and is created from scratch). The statements that
change the warehouse are kept, in execution order, and each is parsed in sqlglot's Redshift dialect.
docs/redshift_ddl.sql holds the reviewed snapshot; a test fails when the rendering drifts from it.
"""

from __future__ import annotations

import argparse
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


class _RecordingCursor:
    description = None
    rowcount = -1

    def __init__(self, log: list[str]):
        self._log = log

    def execute(self, sql: str, bindings=None) -> None:
        self._log.append(sql)

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
    return statements


def render_redshift_ddl() -> list[str]:
    """Every statement that changes the warehouse in `dbt build --target prod` (seeds and models), in order."""
    from dbt.adapters.redshift.connections import RedshiftConnectionManager
    from dbt.cli.main import dbtRunner

    log: list[str] = []

    def recording_open(cls, connection):
        connection.handle = _RecordingHandle(log)
        connection.state = "open"
        return connection

    RedshiftConnectionManager.open = classmethod(recording_open)
    # Fixed placeholders, so a developer's real connection settings never change the reviewed snapshot.
    os.environ.update({"REDSHIFT_HOST": "redshift.invalid", "REDSHIFT_DATABASE": "inventory",
                       "REDSHIFT_SCHEMA": "public", "REDSHIFT_USER": "dagster", "REDSHIFT_PASSWORD": ""})
    with tempfile.TemporaryDirectory(prefix="redshift-ddl-") as tmp:
        result = dbtRunner().invoke([
            "build", "--exclude-resource-type", "test", "--target", "prod", "--threads", "1", "--quiet",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", f"{tmp}/target", "--log-path", f"{tmp}/logs",
        ])
    if not result.success:
        raise RuntimeError(f"dbt run against the recording Redshift connection failed: {result.exception}")
    return _ddl_statements(log)


# Redshift-only commands sqlglot has no grammar for, checked against their documented syntax instead.
REDSHIFT_ONLY_COMMANDS = {
    "external schema from kinesis": re.compile(
        r"CREATE EXTERNAL SCHEMA (IF NOT EXISTS )?\w+\s+FROM KINESIS\s+IAM_ROLE '(arn:aws:iam::\d{12}:role/[\w+=,.@-]+|default)'",
        re.IGNORECASE),
}


def parse_redshift(statement: str) -> exp.Expression:
    """Parse one statement as Redshift SQL; raise if sqlglot cannot parse it as a real statement."""
    parsed = sqlglot.parse_one(statement, read="redshift", error_level=sqlglot.ErrorLevel.RAISE)
    if isinstance(parsed, exp.Command):
        if any(p.fullmatch(" ".join(statement.split())) for p in REDSHIFT_ONLY_COMMANDS.values()):
            return parsed
        raise ValueError(f"sqlglot fell back to an unparsed command for: {statement[:200]}")
    return parsed


# Platform DDL kept outside dbt, rendered with example values for the snapshot.
PLATFORM_DDL = {REPO_ROOT / "streaming" / "redshift_streaming_ingestion.sql": {
    "streaming_role_arn": "arn:aws:iam::123456789012:role/inventory-redshift-streaming",
    "clean_stream": "inventory-cdc-clean"}}


def render_platform_ddl() -> list[str]:
    statements = []
    for path, values in PLATFORM_DDL.items():
        body = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
        statements += [s.strip() for s in Template(body).substitute(values).split(";") if s.strip()]
    return statements


def render_snapshot(statements: list[str]) -> str:
    header = (
        "-- Redshift DDL rendered offline by `make redshift-ddl` (inventory_platform/redshift/offline_ddl.py):\n"
        "-- what `dbt build --target prod` executes on an empty cluster, in order. Reviewed snapshot: a test\n"
        "-- fails when the models render differently; regenerate and review the diff.\n"
    )
    return header + "".join(f"\n{s};\n" for s in statements)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SNAPSHOT, help="where to write the rendered DDL")
    args = parser.parse_args(argv)
    statements = render_redshift_ddl() + render_platform_ddl()
    for statement in statements:
        parse_redshift(statement)
    args.out.write_text(render_snapshot(statements))
    print(f"{len(statements)} Redshift statements rendered and parsed -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
