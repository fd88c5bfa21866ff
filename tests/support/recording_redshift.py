"""Stands in for RedshiftWarehouse.query, which needs a live cluster that CI cannot reach.

It answers the named monitoring queries with canned rows, records every statement in order, checks
that every SELECT parses as Redshift SQL, and fails chosen statements the way Redshift would."""

from __future__ import annotations

import re

from inventory_platform.monitoring.queries import monitoring_query
from inventory_platform.redshift.offline_ddl import parse_redshift


def _statement(key: str) -> str:
    """A monitoring query's name stands for its SQL; anything else is a statement prefix."""
    return monitoring_query(key).sql if re.fullmatch(r"redshift_[a-z_]+", key) else key


class RecordingRedshift:
    def __init__(self, answers: dict[str, list[tuple]], failing: dict[str, Exception] | None = None):
        self.answers = {monitoring_query(name).sql: rows for name, rows in answers.items()}
        self.failing = [(_statement(key), error) for key, error in (failing or {}).items()]
        self.statements: list[str] = []

    def query(self, sql: str, params=None) -> list[tuple]:
        self.statements.append(sql)
        if sql.lstrip().upper().startswith("SELECT"):
            parse_redshift(sql)
        for prefix, error in self.failing:
            if sql.startswith(prefix):
                raise error
        if sql in self.answers:
            return self.answers[sql]
        if sql.startswith(("VACUUM ", "ANALYZE ")):
            return []
        raise AssertionError(f"unexpected statement for Redshift: {sql[:120]}")
