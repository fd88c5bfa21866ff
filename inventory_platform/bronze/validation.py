"""Validate landing files against the data contract inside DuckDB, many files per query.

A file is accepted whole or rejected whole. A rejection names the file, the first offending row
(1-based, header excluded), the column and the reason, plus how many rows were bad.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from inventory_platform.landing_contract import Column, SourceTable
from inventory_platform.lib.sql_quoting import quote_ident, quote_literal

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "HUGEINT"}


@dataclass(frozen=True)
class Rejection:
    file: Path
    reason: str
    row: int | None = None  # 1-based data row, header excluded
    column: str | None = None
    bad_rows: int = 0

    def message(self) -> str:
        where = [str(self.file)]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        extra = f" ({self.bad_rows} bad rows in file)" if self.bad_rows > 1 else ""
        return f"{', '.join(where)}: {self.reason}{extra}"


def reader_sql(files: list[Path]) -> str:
    """A DuckDB table function reading files of one format with their name and row number."""
    paths = "[" + ", ".join(quote_literal(str(f)) for f in files) + "]"
    if files[0].suffix == ".parquet":
        return f"read_parquet({paths}, filename = true, file_row_number = true, union_by_name = true, hive_partitioning = false)"
    # CSV is read as text so that a bad value becomes a named row error rather than a reader crash.
    return (
        f"(SELECT *, row_number() OVER () - 1 AS file_row_number FROM read_csv({paths}, header = true, "
        "all_varchar = true, filename = true, hive_partitioning = false))"
    )


def _type_family_accepts(expected: str, actual: str) -> bool:
    actual = actual.upper()
    if expected == "VARCHAR":
        return actual == "VARCHAR"
    if expected in ("BIGINT", "INTEGER"):
        return actual in _INTEGER_TYPES
    if expected.startswith("DECIMAL"):
        return actual.startswith("DECIMAL") or actual in _INTEGER_TYPES or actual in ("DOUBLE", "FLOAT")
    if expected == "TIMESTAMP":
        return actual.startswith("TIMESTAMP")
    return actual == expected


def check_columns(con: duckdb.DuckDBPyConnection, file: Path, table: SourceTable) -> Rejection | None:
    """Reject a file whose columns are missing, unexpected or (Parquet) of the wrong type."""
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {reader_sql([file])}").fetchall()
    except duckdb.Error as exc:
        return Rejection(file, f"unreadable as {file.suffix[1:]}: {str(exc).splitlines()[0]}")
    actual = {name: typ for name, typ, *_ in described if name not in ("filename", "file_row_number")}
    missing = [c for c in table.column_names if c not in actual]
    if missing:
        return Rejection(file, f"missing column(s) {', '.join(missing)}", column=missing[0])
    extra = [c for c in actual if c not in table.column_names]
    if extra:
        return Rejection(file, f"unexpected column(s) {', '.join(extra)}", column=extra[0])
    if file.suffix == ".parquet":
        for col in table.columns:
            if not _type_family_accepts(col.type, actual[col.name]):
                return Rejection(file, f"has type {actual[col.name]}, expected {col.type}", column=col.name)
    return None


def typed_expr(col: Column, from_text: bool) -> str:
    name = quote_ident(col.name)
    if from_text and col.type == "TIMESTAMP":
        return f"TRY_CAST(NULLIF(trim({name}), '') AS TIMESTAMP)"
    if from_text:
        return f"TRY_CAST(NULLIF(trim({name}), '') AS {col.type})"
    return f"CAST({name} AS {col.type})"


def _violations(table: SourceTable, from_text: bool) -> list[tuple[str, str | None, str]]:
    """(SQL condition that marks a bad row, column, reason) in the order they are reported."""
    found: list[tuple[str, str | None, str]] = []
    for col in table.columns:
        name = quote_ident(col.name)
        if from_text:
            found.append((f"NULLIF(trim(raw_{col.name}), '') IS NOT NULL AND {name} IS NULL", col.name,
                          f"value is not a valid {col.type}"))
        if not col.nullable:
            found.append((f"{name} IS NULL", col.name, "required value is empty"))
        if col.accepted_values:
            allowed = ", ".join(quote_literal(v) for v in col.accepted_values)
            found.append((f"{name} NOT IN ({allowed})", col.name,
                          f"value not in accepted values ({', '.join(col.accepted_values)})"))
        if col.min_value is not None:
            op = "<=" if col.exclusive_min else "<"
            bound = "greater than" if col.exclusive_min else "at least"
            found.append((f"{name} {op} {col.min_value}", col.name, f"value must be {bound} {col.min_value}"))
    for predicate, reason in table.row_rules:
        columns_used = [c for c in table.column_names if re.search(rf"\b{c}\b", predicate)]
        found.append((f"NOT ({predicate})", columns_used[0] if columns_used else None, reason))
    if table.day_column:
        folder_day = r"TRY_CAST(regexp_extract(filename, 'date=(\d{4}-\d{2}-\d{2})', 1) AS DATE)"
        found.append((f"CAST({quote_ident(table.day_column)} AS DATE) IS DISTINCT FROM {folder_day}", table.day_column,
                      "UTC date differs from the file's date=YYYY-MM-DD folder"))
    key = ", ".join(quote_ident(k) for k in table.key)
    found.append((f"count(*) OVER (PARTITION BY filename, {key}) > 1", table.key[0],
                  f"duplicate key ({', '.join(table.key)}) within the file"))
    return found


def typed_select(table: SourceTable, files: list[Path]) -> str:
    """SELECT of the contract's columns in contract types, with filename and file_row_number."""
    from_text = files[0].suffix != ".parquet"
    cols = [f"{typed_expr(c, from_text)} AS {quote_ident(c.name)}" for c in table.columns]
    raw = [f"{quote_ident(c.name)} AS {quote_ident('raw_' + c.name)}" for c in table.columns] if from_text else []
    return f"SELECT {', '.join(cols + raw)}, filename, file_row_number FROM {reader_sql(files)}"


def find_bad_rows(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path]) -> dict[str, Rejection]:
    """Rejections keyed by filename for every file (of one format) that has at least one bad row."""
    if not files:
        return {}
    from_text = files[0].suffix != ".parquet"
    checks = _violations(table, from_text)
    case_index = " ".join(f"WHEN {cond} THEN {i}" for i, (cond, _, _) in enumerate(checks))
    case_value = " ".join(
        f"WHEN {cond} THEN CAST({quote_ident(('raw_' if from_text else '') + col) if col else 'NULL'} AS VARCHAR)"
        for cond, col, _ in checks
    )
    sql = f"""
        WITH typed AS ({typed_select(table, files)}),
        flagged AS (
            SELECT filename, file_row_number, CASE {case_index} END AS violation,
                   CASE {case_value} END AS bad_value
            FROM typed
        )
        SELECT filename, count(*) AS bad_rows,
               arg_min(violation, file_row_number) AS violation,
               arg_min(bad_value, file_row_number) AS bad_value,
               min(file_row_number) AS first_row
        FROM flagged WHERE violation IS NOT NULL GROUP BY filename
    """
    rejections = {}
    for filename, bad_rows, violation, bad_value, first_row in con.execute(sql).fetchall():
        _, column, reason = checks[violation]
        shown = f" (got {bad_value!r})" if bad_value is not None else ""
        rejections[filename] = Rejection(Path(filename), reason + shown, row=int(first_row) + 1,
                                         column=column, bad_rows=int(bad_rows))
    return rejections
