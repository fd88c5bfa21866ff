"""Validate landing files against the data contract inside DuckDB, many files per query.

A file is accepted whole or rejected whole. A rejection names the file, the first offending row
(1-based, header excluded), the column and the reason, plus how many rows were bad.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from inventory_platform.landing_contract import DAY_FOLDER_PATTERN, Column, SourceTable, folder_day_sql
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
        where = [display_name(self.file)]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        extra = f" ({self.bad_rows} bad rows in file)" if self.bad_rows > 1 else ""
        return f"{', '.join(where)}: {self.reason}{extra}"


def display_name(file: Path) -> str:
    """The path as text that can be stored and printed: bytes that are not UTF-8 shown as \\xNN escapes."""
    return str(file).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def literal_path(file: Path) -> str:
    """The path as a DuckDB file pattern that matches only itself.

    DuckDB's readers expand `*`, `?` and `[...]` in every path and have no option to turn that off, so a
    landed file named `part*.parquet` would also read its neighbours. A glob character inside brackets
    is literal (`[*]`), the escape DuckDB's globbing supports.
    """
    return re.sub(r"([*?\[\]{}])", r"[\1]", str(file))


def reader_sql(files: list[Path]) -> str:
    """A DuckDB table function reading files of one format with their name and row number."""
    paths = "[" + ", ".join(quote_literal(literal_path(f)) for f in files) + "]"
    if files[0].suffix == ".parquet":
        return f"read_parquet({paths}, filename = true, file_row_number = true, union_by_name = true, hive_partitioning = false)"
    # CSV is read as text so that a bad value becomes a named row error rather than a reader crash. The
    # dialect is the contract's, not sniffed: a file separated by ';' would otherwise load.
    return (
        f"(SELECT *, row_number() OVER () - 1 AS file_row_number FROM read_csv({paths}, header = true, "
        "delim = ',', quote = '\"', escape = '\"', all_varchar = true, filename = true, hive_partitioning = false))"
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


# What a CSV value of each contract type must look like (the whole trimmed value; docs/data_contract.md).
# DuckDB's own casts are lenient: '5.7' AS BIGINT is 6, '0x10' is 16, '1e3' is 1000, and an offset such as
# '+05:00' on a timestamp is dropped, which can move a movement to the wrong UTC day.
_TEXT_FORMATS = {
    "BIGINT": (r"[+-]?[0-9]+", "digits with an optional sign"),
    "INTEGER": (r"[+-]?[0-9]+", "digits with an optional sign"),
    "DECIMAL": (r"[+-]?([0-9]+(\.[0-9]+)?|\.[0-9]+)", "digits with an optional sign and '.' decimal point"),
    "DATE": (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", "YYYY-MM-DD"),
    "TIMESTAMP": (r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|\+00:00)?",
                  "UTC as YYYY-MM-DD HH:MM:SS[.ffffff], no offset other than Z or +00:00"),
    "BOOLEAN": (r"(?i)(true|false)", "true or false"),
}


def _text_format(col: Column) -> tuple[str, str] | None:
    return _TEXT_FORMATS.get(col.type.split("(")[0])


def typed_expr(col: Column, from_text: bool, strict: bool = False) -> str:
    """The column in its contract type. Not strict (validation): NULL where a value does not convert,
    so the bad row can be named. Strict (the insert): an error instead, so that a file changed after it
    was validated can never put a NULL or a rounded value into Bronze."""
    name = quote_ident(col.name)
    if not from_text:
        return f"{'CAST' if strict else 'TRY_CAST'}({name} AS {col.type})"
    value = f"NULLIF(trim({name}), '')"
    text_format = _text_format(col)
    if text_format is None:
        return f"CAST({value} AS {col.type})"
    pattern = quote_literal(text_format[0])
    bad = f"error({quote_literal(f'value of {col.name} is not a valid {col.type}')})" if strict else "NULL"
    cast = "CAST" if strict else "TRY_CAST"
    return (f"CASE WHEN {value} IS NULL THEN NULL WHEN regexp_full_match({value}, {pattern}) "
            f"THEN {cast}({value} AS {col.type}) ELSE {bad} END")


def _not_valid_reason(col: Column) -> str:
    text_format = _text_format(col)
    return f"value is not a valid {col.type}" + (f": expected {text_format[1]}" if text_format else "")


def _violations(table: SourceTable, from_text: bool) -> list[tuple[str, str | None, str]]:
    """(SQL condition that marks a bad row, column, reason) in the order they are reported."""
    found: list[tuple[str, str | None, str]] = []
    for col in table.columns:
        name = quote_ident(col.name)
        raw = quote_ident("raw_" + col.name)
        # Also for Parquet: a value out of the contract type's range (a UBIGINT above BIGINT, a NaN
        # decimal) is a named row error, and every column is read, so a corrupt page fails validation.
        present = f"NULLIF(trim({raw}), '') IS NOT NULL" if from_text else f"{raw} IS NOT NULL"
        found.append((f"{present} AND {name} IS NULL", col.name,
                      _not_valid_reason(col) if from_text else f"value is not a valid {col.type}"))
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
    for rule in table.row_rules:
        found.append((f"NOT ({rule.predicate})", rule.column, rule.reason))
    if table.day_column:
        folder_day = folder_day_sql("filename")
        found.append((f"CAST({quote_ident(table.day_column)} AS DATE) IS DISTINCT FROM {folder_day}", table.day_column,
                      "UTC date differs from the file's date=YYYY-MM-DD folder"))
    key = ", ".join(quote_ident(k) for k in table.key)
    found.append((f"count(*) OVER (PARTITION BY filename, {key}) > 1", table.key[0],
                  f"duplicate key ({', '.join(table.key)}) within the file"))
    return found


def typed_select(table: SourceTable, files: list[Path], strict: bool = False) -> str:
    """SELECT of the contract's columns in contract types, with filename and file_row_number; when not
    strict, also each column as read (raw_<name>) to show a value that did not convert."""
    from_text = files[0].suffix != ".parquet"
    cols = [f"{typed_expr(c, from_text, strict)} AS {quote_ident(c.name)}" for c in table.columns]
    raw = [] if strict else [f"{quote_ident(c.name)} AS {quote_ident('raw_' + c.name)}" for c in table.columns]
    return f"SELECT {', '.join(cols + raw)}, filename, file_row_number FROM {reader_sql(files)}"


def find_bad_rows(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path]) -> dict[str, Rejection]:
    """Rejections keyed by filename for every file (of one format) that has at least one bad row.

    Two phases, so that clean files never pay for the duplicate-key window (a sort of every row by key):
    1. one streaming aggregate over every file: rows matching any rule, and rows minus distinct keys;
    2. the windowed query that names each file's first bad row, only over the files phase 1 flagged.
    """
    if not files:
        return {}
    flagged = _flagged_files(con, table, files)
    if not flagged:
        return {}
    by_name = {os.path.normpath(f): f for f in files}
    subset = [by_name.get(os.path.normpath(name)) for name in flagged]
    return _first_bad_rows(con, table, files if None in subset else subset)


def _flagged_files(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path]) -> list[str]:
    """Phase 1: the files with a row that breaks a rule or a key seen twice (filenames as read).

    Exact duplicates need every key in a hash table, the costliest part; one count of distinct
    hash(file, key) over the whole group is the cheapest exact test (a hash collision can only flag a clean
    group, which the per-file count then clears). The day folder is compared per file, not per row."""
    checks = _violations(table, files[0].suffix != ".parquet")
    rules = [cond for cond, _, _ in checks[:-1] if "regexp_extract(filename" not in cond]  # [-1]: the key window
    any_bad = " OR ".join(f"coalesce({cond}, false)" for cond in rules)
    key = ", ".join(quote_ident(k) for k in table.key)
    typed = typed_select(table, files)
    # The hash of every value as read makes the reader decode every page: a test for NULL alone does not,
    # and a corrupt page of a nullable text column would pass unread.
    every_value = ", ".join(quote_ident("raw_" + c) for c in table.column_names)
    day = f"CAST({quote_ident(table.day_column)} AS DATE)" if table.day_column else "NULL"
    per_file = con.execute(f"""
        SELECT filename, count_if({any_bad}) > 0 OR bit_xor(hash({every_value})) IS NULL, min({day}), max({day})
        FROM ({typed}) GROUP BY filename""").fetchall()
    flagged = [name for name, bad, first, last in per_file
               if bad or (table.day_column and not first == last == _folder_day(name))]
    [(repeats,)] = con.execute(f"SELECT count(*) - count(DISTINCT hash(filename, {key})) FROM ({typed})").fetchall()
    if repeats:
        flagged += [name for name, in con.execute(f"""
            SELECT filename FROM ({typed}) GROUP BY filename
            HAVING count(*) > count(DISTINCT row({key}))""").fetchall() if name not in flagged]
    return flagged


def _folder_day(filename: str):
    match = re.search(DAY_FOLDER_PATTERN, filename)
    try:
        return date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


def _first_bad_rows(con: duckdb.DuckDBPyConnection, table: SourceTable, files: list[Path]) -> dict[str, Rejection]:
    """Phase 2: per file, the first bad row (its rule, column and value) and how many rows are bad."""
    from_text = files[0].suffix != ".parquet"
    checks = _violations(table, from_text)
    case_index = " ".join(f"WHEN {cond} THEN {i}" for i, (cond, _, _) in enumerate(checks))
    case_value = " ".join(
        f"WHEN {cond} THEN CAST({quote_ident('raw_' + col) if col else 'NULL'} AS VARCHAR)"
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
