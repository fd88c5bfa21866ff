"""The detection queries of ops_runbooks/monitoring_queries.sql, split by their `-- name:` headers.

Runbooks reference the queries by name; code loads them from the same file, so what the on-call
engineer pastes into a query editor is exactly what the sensors and jobs run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from inventory_platform.settings import REPO_ROOT

QUERIES_FILE = REPO_ROOT / "ops_runbooks" / "monitoring_queries.sql"
ENGINES = ("redshift", "redshift-provisioned", "duckdb")
REQUIRED_HEADERS = ("name", "engine", "detects", "threshold")
_HEADER = re.compile(r"^--\s*(name|engine|detects|threshold|used_by):\s*(.+?)\s*$")


@dataclass(frozen=True)
class MonitoringQuery:
    name: str
    engine: str
    detects: str
    threshold: str
    sql: str
    line: int  # where the query's `-- name:` header is, for error messages
    used_by: str | None = None


def parse_queries(text: str, source: str = str(QUERIES_FILE)) -> list[MonitoringQuery]:
    """Split the file into queries; each block runs from a `-- name:` line to the next one."""
    blocks: list[tuple[int, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r"^--\s*name:", line):
            blocks.append((number, []))
        if blocks:
            blocks[-1][1].append(line)
    queries, seen = [], {}
    for start, lines in blocks:
        headers: dict[str, str] = {}
        body_from = len(lines)
        for offset, line in enumerate(lines):
            match = _HEADER.match(line)
            if not match:
                body_from = offset
                break
            headers[match.group(1)] = match.group(2)
        missing = [h for h in REQUIRED_HEADERS if h not in headers]
        if missing:
            raise ValueError(f"{source}:{start}: query header lacks {', '.join(missing)}")
        name, engine = headers["name"], headers["engine"]
        if engine not in ENGINES:
            raise ValueError(f"{source}:{start}: query {name!r} has engine {engine!r}, expected one of {ENGINES}")
        if name in seen:
            raise ValueError(f"{source}:{start}: query name {name!r} already used on line {seen[name]}")
        seen[name] = start
        body = "\n".join(line for line in lines[body_from:] if not line.lstrip().startswith("--")).strip()
        if not body.endswith(";") or body.count(";") != 1:
            raise ValueError(f"{source}:{start}: query {name!r} must be one statement ending with ';'")
        queries.append(MonitoringQuery(name=name, engine=engine, detects=headers["detects"],
                                       threshold=headers["threshold"], sql=body.rstrip(";").strip(),
                                       line=start, used_by=headers.get("used_by")))
    return queries


@cache
def _load(path: Path) -> dict[str, MonitoringQuery]:
    return {q.name: q for q in parse_queries(path.read_text(), str(path))}


def all_queries(path: Path = QUERIES_FILE) -> list[MonitoringQuery]:
    return list(_load(path).values())


def monitoring_query(name: str, path: Path = QUERIES_FILE) -> MonitoringQuery:
    queries = _load(path)
    if name not in queries:
        raise KeyError(f"no query named {name!r} in {path}; known: {sorted(queries)}")
    return queries[name]
