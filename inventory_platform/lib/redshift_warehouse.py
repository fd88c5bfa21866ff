"""Amazon Redshift for Python assets and sensors (monitoring queries, MV refresh, maintenance).

Credentials come from the environment (EnvVar) or IAM; nothing secret is configured in code.
Every unit of work is one transaction retried on serialization conflicts (error 1023); statements
that Redshift refuses inside a transaction block (VACUUM, some DDL) run with autocommit on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

import dagster as dg
from pydantic import Field

from inventory_platform.lib.write_conflicts import retry_write_conflicts

_NEEDS_AUTOCOMMIT = re.compile(r"^\s*(vacuum|create\s+database|drop\s+database|alter\s+database)\b", re.I)


def needs_autocommit(sql: str) -> bool:
    return bool(_NEEDS_AUTOCOMMIT.match(sql))


class RedshiftWarehouse(dg.ConfigurableResource):
    """A Redshift (provisioned or Serverless) database reached with redshift-connector."""

    host: str
    database: str
    user: str = Field(description="Database user; with iam=True the user to obtain temporary credentials for.")
    password: str | None = Field(default=None, description="Set from an environment variable, never in code.")
    port: int = 5439
    iam: bool = False
    region: str | None = None
    cluster_identifier: str | None = None
    serverless_work_group: str | None = None
    retry_attempts: int = 5

    def exclusive_writer(self):
        """Redshift serializes concurrent writers itself (and retries conflicts, see write_conflicts.py)."""
        return nullcontext()

    def _connect(self):
        import redshift_connector

        options: dict[str, Any] = {"host": self.host, "database": self.database, "port": self.port,
                                   "user": self.user, "application_name": "inventory-platform"}
        if self.iam:
            options.update(iam=True, db_user=self.user, region=self.region,
                           cluster_identifier=self.cluster_identifier,
                           serverless_work_group=self.serverless_work_group,
                           is_serverless=self.serverless_work_group is not None)
        else:
            options["password"] = self.password
        return redshift_connector.connect(**{k: v for k, v in options.items() if v is not None})

    @contextmanager
    def connection(self, autocommit: bool = False) -> Iterator[Any]:
        con = self._connect()
        con.autocommit = autocommit
        try:
            yield con
        finally:
            con.close()

    def run_transaction(self, work: Callable[[Any], Any]) -> Any:
        """Run work(cursor) in one transaction, committed on success, retried on serialization conflicts."""

        def attempt():
            with self.connection() as con:
                cursor = con.cursor()
                try:
                    result = work(cursor)
                    con.commit()
                    return result
                except BaseException:
                    con.rollback()
                    raise

        return retry_write_conflicts(attempt, attempts=self.retry_attempts)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """Run one parameterised statement and return its rows (none for statements without a result)."""
        if needs_autocommit(sql):
            with self.connection(autocommit=True) as con:
                cursor = con.cursor()
                cursor.execute(sql, params)
                return list(cursor.fetchall()) if cursor.description else []

        def work(cursor):
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

        return self.run_transaction(work)


def redshift_from_env() -> RedshiftWarehouse:
    """The production resource, configured from REDSHIFT_* environment variables at run time (the same
    ones dbt's prod target reads; REDSHIFT_PORT is optional, 5439 by default)."""
    port = {"port": dg.EnvVar.int("REDSHIFT_PORT")} if os.environ.get("REDSHIFT_PORT") else {}
    return RedshiftWarehouse(
        host=dg.EnvVar("REDSHIFT_HOST"),
        database=dg.EnvVar("REDSHIFT_DATABASE"),
        user=dg.EnvVar("REDSHIFT_USER"),
        password=dg.EnvVar("REDSHIFT_PASSWORD"),
        **port,
    )
